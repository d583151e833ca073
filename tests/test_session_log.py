"""The conversation is saved as typed entries (what the user did, the answer, the picture it brought)
with the session's language (manifest format 2); sessions saved by the old program (format 1: the log
as user/assistant lines, buttons as words, no language) still open. No model is needed: the turns
here only move through the history."""
import json

import pytest

from agent.session.session import Session
from agent.session.store import SessionStore
from tests.test_store_safety import fake_snapshot


@pytest.fixture
def store(tmp_path) -> SessionStore:
    return SessionStore(tmp_path / "data")


def test_each_turn_is_one_typed_entry_naming_the_picture_it_brought(store):
    snapshot = fake_snapshot()  # the original and one edit, the edit current
    store.save(snapshot)
    session = Session.restore(store, snapshot.id, editor=None)
    session.undo()
    session.goto(1)
    session.reset()
    session.send("")
    undo, goto, reset, empty = session.log[-4:]
    assert (undo.kind, undo.said, undo.version, undo.made) == ("button", "undo", 0, False)
    assert undo.shows == session.versions[0].uid and "撤销" in undo.reply
    assert (goto.kind, goto.number, goto.shows, goto.made) == ("goto", 1, session.versions[1].uid, False)
    assert (reset.kind, reset.said, reset.made, reset.shows) == ("button", "reset", True, session.versions[2].uid)
    assert (empty.kind, empty.said, empty.shows) == ("text", "", None)  # refused: the picture did not change
    again = store.load(snapshot.id)
    assert again.log == session.log and again.language == "zh"


def test_the_language_of_the_replies_is_saved_with_the_session(store):
    snapshot = fake_snapshot()
    store.save(snapshot)
    session = Session.restore(store, snapshot.id, editor=None)
    session.send("undo")  # English words: the replies turn English
    assert session.language == "en"
    manifest = json.loads((store.root / snapshot.id / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 2 and manifest["language"] == "en"
    assert Session.restore(store, snapshot.id, editor=None, language="zh").language == "en"


def format_1(store: SessionStore, snapshot, log: list[dict]) -> None:
    """Rewrite a saved session's manifest as the old program wrote it: format 1, no language."""
    path = store.root / snapshot.id / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.pop("language")
    manifest["format"], manifest["log"] = 1, log
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def line(role: str, text: str, version: int, time: float) -> dict:
    return {"role": role, "text": text, "version": version, "time": time}


def test_a_session_saved_by_the_old_program_opens_with_its_conversation_and_language(store):
    snapshot = fake_snapshot()
    store.save(snapshot)
    made = snapshot.versions[1].created
    format_1(store, snapshot, [
        line("user", "remove the cat", 0, made - 0.5), line("assistant", "Done: removed the cat.", 1, made + 0.1),
        line("user", "undo", 1, made + 5), line("assistant", "Undone: back to version 0.", 0, made + 5),
        line("user", "goto 1", 0, made + 9), line("assistant", "Went to version 1.", 1, made + 9),
        line("user", "#2", 1, made + 12), line("assistant", "Nothing to pick now.", 1, made + 12),
    ])
    loaded = store.load(snapshot.id)
    assert [(e.kind, e.said, e.number) for e in loaded.log] == [
        ("text", "remove the cat", None), ("button", "undo", None), ("goto", "1", 1), ("pick", "#2", 2)]
    first, undo = loaded.log[:2]
    assert first.made and first.shows == snapshot.versions[1].uid and first.reply == "Done: removed the cat."
    assert not undo.made and undo.shows == snapshot.versions[0].uid and loaded.log[3].shows is None
    assert loaded.language == "en"  # guessed from the last words the user typed
    session = Session.restore(store, snapshot.id, editor=None, language="zh")
    assert session.language == "en" and session.undo().text.startswith("Undone")
    assert json.loads((store.root / snapshot.id / "manifest.json").read_text(encoding="utf-8"))["format"] == 2


def test_an_old_session_never_typed_in_takes_the_language_it_is_opened_with(store):
    snapshot = fake_snapshot()
    store.save(snapshot)
    format_1(store, snapshot, [line("user", "undo", 1, 1.0), line("assistant", "已撤销，回到第 0 版。", 0, 1.0)])
    assert store.load(snapshot.id).language is None
    assert Session.restore(store, snapshot.id, editor=None, language="en").language == "en"
