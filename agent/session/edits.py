"""Commands carried out on a session's history. Edits in a row make one new version; undo, redo,
reset and regenerate move the history (its rules are agent/session/history.py's); each edit command
is `Editor.run` (agent/editor.py).

    kind, text = run_commands(turn, history, commands, "把猫换成狗", editor=editor, interactive=True)
    kind: "edited", "history", "asked", "not_found" or "partial"; text: the answer, in turn.language
"""
from __future__ import annotations

from typing import Sequence

from PIL import Image

from agent.editor import Editor
from agent.parse import EditCommand
from agent.session.history import History, Pending
from agent.session.reply import describe, join, say
from agent.session.turn import Turn
from agent.session.version import Step
from agent.step import ASK_MESSAGES, Ask, refusal, step_source
from tools.errors import EditError
from tools.regions import RegionPrompt


def run_commands(turn: Turn, history: History, commands: Sequence[EditCommand], instruction: str, *,
                 editor: Editor, interactive: bool, prompt: RegionPrompt | None = None) -> tuple[str, str]:
    """Run `commands` in order on the current version; edits in a row make one new version.
    `prompt`: the click, box or picked mask that is the first edit's region (None: found by its words).
    A failure after something was done keeps what was done ("partial"); before, it raises."""
    texts: list[str] = []
    done: list[tuple[Step, Image.Image]] = []
    edits = [c for c in commands if c.is_edit]
    turn.steps, acted, kind, turn.step = max(1, len(edits)), False, "history", 0
    for position, command in enumerate(commands):
        try:
            if not command.is_edit:
                commit(turn, history, done, instruction)
                done = []
                texts.append(apply_control(turn, history, command, editor=editor, instruction=instruction))
                acted = True
                if command.action == "regenerate":
                    kind = "edited"
                continue
            turn.step += 1
            image = done[-1][1] if done else history.current.image
            outcome = editor.run(command, image, region=prompt, interactive=interactive, on_progress=turn.notify)
            prompt = None
        except EditError as failure:
            if not (acted or done):
                raise
            commit(turn, history, done, instruction)
            texts += failed_step(turn, failure, command, position + 1, len(commands))
            return "partial", join(turn.language, *texts)
        if isinstance(outcome, Ask):
            commit(turn, history, done, instruction)
            history.ask(Pending(command, tuple(commands[position + 1:]), instruction,
                                outcome.candidates, outcome.reason, history.pointer))
            texts.append(say(ASK_MESSAGES[outcome.reason] if outcome.candidates else "not_found_bare",
                             turn.language, **outcome.fields))
            return ("not_found" if outcome.reason == "not_found" else "asked"), join(turn.language, *texts)
        step, image, note = outcome.step, outcome.image, outcome.note
        done.append((step, image))
        what = describe(command.action, step_source(step, turn.language), command.target, turn.language,
                        command=command)
        texts.append(join(turn.language, note, say("edited", turn.language, what=what + outcome.aside)))
        kind = "edited"
    commit(turn, history, done, instruction)
    return kind, join(turn.language, *texts)


def commit(turn: Turn, history: History, done: list[tuple[Step, Image.Image]], instruction: str) -> None:
    """The edits done so far (steps and the last picture) as one new version, if any."""
    if done:
        turn.note_dropped(history.commit(kind="edit", image=done[-1][1], instruction=instruction,
                                         steps=tuple(step for step, _ in done)))


def failed_step(turn: Turn, failure: EditError, command: EditCommand, step: int, steps: int) -> list[str]:
    """What to say when step `step` of `steps` failed after earlier ones were done (they are kept)."""
    language = turn.language
    what = describe(command.action, command.source or "", command.target, language, command=command)
    return [say("step_failed", language, step=step, steps=steps, what=what, reason=failure.message_for(language)),
            say("steps_kept", language)]


def apply_control(turn: Turn, history: History, command: EditCommand, *, editor: Editor,
                  instruction: str = "") -> str:
    """Undo, redo, reset or regenerate: the answer's text. Raises a refusal when it cannot be done."""
    action, language = command.action, turn.language
    if action == "undo":
        return say("undo", language, version=history.undo().number)
    if action == "redo":
        return say("redo", language, version=history.redo().number)
    if action == "reset":
        turn.note_dropped(history.reset(instruction or "reset"))
        return say("reset", language)
    if action == "regenerate":
        return regenerate(turn, history, editor=editor)
    if action == "pick":
        raise refusal("nothing_to_pick")
    raise refusal("not_understood", text=action)


def regenerate(turn: Turn, history: History, *, editor: Editor) -> str:
    """The current edit again, from the version it was made from, with seed + 1: a new version
    after the current one (undo brings the previous try back)."""
    if not history.can_regenerate:
        raise refusal("nothing_to_regenerate")
    version = history.current
    if all(step.command.action == "adjust" for step in version.steps):
        raise refusal("adjust_no_seed")  # the same picture again would be a version for nothing
    seed = (version.seed or 0) + 1
    image, steps = history[version.base].image, []
    turn.steps = len(version.steps)
    for turn.step, step in enumerate(version.steps, start=1):
        rerun = editor.rerun(step, image, seed=seed, on_progress=turn.notify)
        steps.append(rerun.step)
        image = rerun.image
    turn.note_dropped(history.commit(kind="regenerate", image=image, instruction=version.instruction,
                                     steps=tuple(steps), parent=version.base))
    what = ("；" if turn.language == "zh" else "; ").join(
        describe(s.command.action, step_source(s, turn.language), s.command.target, turn.language, command=s.command)
        for s in steps)
    return say("regenerated", turn.language, seed=seed, what=what)
