"""`edit-everything edit`: the edits of one instruction (or --source/--target) on one photo.

Each edit command runs through `Editor.run`, the code a session turn uses for one command,
so position ("左边的"), index ("第二个"), all ("所有的") and exclude ("除了…") choose the same region
as `run`. Nobody is asked to pick: an unsure choice takes the best candidate and says so.
"""
from __future__ import annotations

import json
import sys

import numpy as np

from agent import EditCommand, parse_instruction
from tools.errors import BadInputError
from tools.language import detect_language
from ui.cli_options import (
    EXIT_OK,
    check_options,
    check_outputs,
    region_prompt,
    settings_from,
    text,
    write_outputs,
)

HISTORY_ACTIONS = ("undo", "redo", "reset", "regenerate", "pick")


def edit_commands(args) -> list[EditCommand]:
    """The edit commands to run, from the instruction or the flags; refused before any model loads."""
    if args.instruction is not None:
        if args.source or args.target or args.remove:
            raise BadInputError("Give either an instruction or --source/--target, not both.",
                                zh="请给出一句指令，或者 --source/--target，不要同时给。")
        commands = list(parse_instruction(args.instruction))
        shown = " ".join(args.instruction.split())[:60] or "(empty)"
        if any(c.action in HISTORY_ACTIONS for c in commands):
            raise BadInputError(
                f"'{shown}' asks for undo, redo, reset, regenerate or a pick, but `edit` runs edits only. "
                f"Use `run`, one turn per argument: edit-everything run PHOTO \"把猫换成狗\" \"撤销\" -o OUT.png",
                zh=f"“{shown}”里有撤销、重做、恢复原图、重新生成或选择，但 `edit` 只做编辑。"
                   f"请用 `run`，每轮一个参数：edit-everything run 照片 \"把猫换成狗\" \"撤销\" -o 输出.png")
        commands = [c for c in commands if c.is_edit]
        if not commands:
            raise BadInputError(f"'{shown}' is not an edit; try '把猫换成狗' or 'replace the cat with a dog'.",
                                zh=f"“{shown}”不是编辑指令；试试“把猫换成狗”。")
        if args.language:
            commands = [c.model_copy(update={"language": args.language}) for c in commands]
        return commands
    by_hand = args.point is not None or args.box is not None
    if not by_hand and (not args.source or not args.source.strip()):
        raise BadInputError("Say what to edit: --source 猫 (or an instruction like \"把猫换成狗\").",
                            zh="请说明要编辑什么：--source 猫（或一句指令，如“把猫换成狗”）。")
    if not args.remove and (not args.target or not args.target.strip()):
        raise BadInputError("Say what to paint: --target 狗, or --remove to erase.",
                            zh="请说明要画成什么：--target 狗，或用 --remove 去掉。")
    target = None if args.remove else args.target.strip()
    source = (args.source or "").strip() or None
    language = args.language or detect_language((source or "") + (target or ""))
    return [EditCommand(action="remove" if args.remove else "replace", source=source, target=target,
                        language=language)]


def run_edit(args) -> int:
    from agent.editor import Editor
    from tools.images import load_image, save_image
    from tools.masks import save_mask
    from tools.models import load_models

    language = args.ui_language
    check_options(args)
    check_outputs((args.output, "image"), (args.save_mask, "mask"))
    commands = edit_commands(args)
    prompt = region_prompt(args)
    loaded = load_image(args.image)
    prompt = prompt.within(loaded.rgb.size) if prompt is not None else None  # on the picture, before any model
    for note in loaded.notes:
        print(text("note", language, message=note.zh if language == "zh" else note.en), file=sys.stderr)
    editor = Editor(load_models(args.preset, device=args.device, overrides=dict(args.model)), settings_from(args))
    image, summaries = loaded.rgb, []
    changed = np.zeros((image.height, image.width), dtype=bool)
    for command in commands:
        outcome = editor.run(command, image, region=prompt, interactive=False)
        prompt = None  # the point or box is the first instruction's region
        step, image, note = outcome.step, outcome.image, outcome.note
        changed |= step.changed
        summaries.append(step_summary(step, note))
    writes = [(args.output, lambda path: save_image(path, image, loaded.alpha))]
    if args.save_mask:
        writes.append((args.save_mask, lambda path: save_mask(path, changed)))
    write_outputs(writes)
    if args.json:
        out = dict(summaries[-1], output=str(args.output), steps=summaries if len(summaries) > 1 else None,
                   notes=[n.en for n in loaded.notes])
        print(json.dumps(out, ensure_ascii=False))
    else:
        for summary in summaries:
            if summary["note"]:
                print(summary["note"])
        print(text("wrote", language, path=args.output))
    return EXIT_OK


def step_summary(step, note: str) -> dict:
    """A JSON-ready summary of one applied edit (boxes in the picture's own pixels, x1/y1 exclusive)."""
    command = step.command
    ys, xs = np.nonzero(step.changed)
    changed_box = [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1] if len(xs) else [0, 0, 0, 0]
    return {"action": command.action, "source": command.source, "target": command.target,
            "language": command.language, "position": command.position, "index": command.index,
            "all": command.all, "exclude": command.exclude, "chosen": step.chosen,
            "candidates": [dict(c, rank=rank) for rank, c in enumerate(step.candidates, start=1)],
            "changed_box": changed_box, "changed_pixels": int(step.changed.sum()), "note": note or None,
            "seed": step.seed, "model_ids": step.model_ids,
            "timings": {k: round(v, 4) for k, v in step.timings.items()}}
