"""Sessions on disk: saved after every turn, restored (also in a new process), exported, refused when damaged."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from agent.editor import Editor, EditSettings
from agent.session.session import Session
from agent.session.store import SessionStore
from tools.errors import StorageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def editor(tiny_models):
    return Editor(tiny_models, EditSettings(steps=2))


@pytest.fixture
def saved(editor, cat_photo, tmp_path):
    """A session with three turns (two edits and an undo) saved under tmp_path/data."""
    store = SessionStore(tmp_path / "data")
    session = Session(cat_photo, editor, store=store)
    for text in ("把猫换成狗", "把背景变成蓝色", "撤销"):
        assert session.send(text).saved is True
    return store, session


def test_every_turn_writes_pngs_and_a_versioned_manifest(saved):
    store, session = saved
    folder = store.root / session.id
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == 2 and manifest["pointer"] == 1 and len(manifest["versions"]) == 3
    assert manifest["language"] == "zh" and [e["kind"] for e in manifest["log"]] == ["text"] * 3
    for entry in manifest["versions"]:
        assert (folder / entry["image"]).is_file()
    assert not any(p.name.startswith(".") for p in folder.iterdir()), "a temporary file was left behind"
    assert len(session.id) >= 22 and session.id not in {"1", "session"}


def test_restore_brings_back_every_version_the_pointer_and_the_steps(saved, editor):
    store, session = saved
    restored = Session.restore(store, session.id, editor)
    assert restored.pointer == 1 and len(restored.versions) == 3
    for before, after in zip(session.versions, restored.versions):
        assert np.array_equal(np.asarray(before.image), np.asarray(after.image))
        assert before.commands == after.commands and before.seed == after.seed
    assert np.array_equal(restored.current.mask, session.current.mask)
    assert restored.redo().version == 2
    again = restored.regenerate()  # the regions were saved too
    assert again.kind == "edited" and restored.current.seed == 1


def test_restore_in_a_new_process(saved, model_cache):
    store, session = saved
    expected = np.asarray(session.image)
    np.save(store.root / "expected.npy", expected)
    code = f"""
import numpy as np
from agent.editor import Editor
from agent.session.session import Session
from agent.session.store import SessionStore
from tools.models import load_models
store = SessionStore({str(store.root)!r})
session = Session.restore(store, {session.id!r}, Editor(load_models("tiny")))
assert session.pointer == 1 and len(session.versions) == 3
assert np.array_equal(np.asarray(session.image), np.load({str(store.root / 'expected.npy')!r}))
reply = session.send("重做")
print(reply.version, reply.text)
"""
    env = dict(os.environ, EDIT_EVERYTHING_CACHE=str(model_cache), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "2 已重做，现在是第 2 版。"
    assert json.loads((store.root / session.id / "manifest.json").read_text())["pointer"] == 2


def test_a_new_edit_after_undo_removes_the_dropped_versions_files(saved):
    store, session = saved
    dropped = session.versions[2]
    session.send("去掉狗")
    folder = store.root / session.id
    assert not any(dropped.uid in p.name for p in folder.iterdir())
    assert len(store.load(session.id).versions) == 3


def test_export_holds_every_version_the_final_picture_and_the_conversation(saved, tmp_path):
    _, session = saved
    with zipfile.ZipFile(session.export(tmp_path / "session.zip")) as archive:
        names = set(archive.namelist())
        log = archive.read("conversation.txt").decode("utf-8")
    assert {"versions/v000.png", "versions/v001.png", "versions/v002.png", "final.png", "manifest.json"} <= names
    assert "user: 把猫换成狗" in log and "user: 撤销" in log and "assistant (v1): 已撤销" in log


def test_a_manifest_from_a_newer_program_is_refused_not_discarded(saved):
    store, session = saved
    path = store.root / session.id / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["format"] = 3
    path.write_text(json.dumps(manifest))
    with pytest.raises(StorageError, match="newer version"):
        store.load(session.id)
    assert json.loads(path.read_text())["format"] == 3


@pytest.mark.parametrize("damage", [
    lambda m: "{not json",
    lambda m: json.dumps(dict(m, pointer=9)),
    lambda m: json.dumps(dict(m, versions=[dict(m["versions"][0], image="../../etc/passwd")])),
])
def test_a_damaged_manifest_is_a_clear_storage_error(saved, damage):
    store, session = saved
    path = store.root / session.id / "manifest.json"
    path.write_text(damage(json.loads(path.read_text())))
    with pytest.raises(StorageError, match="damaged"):
        store.load(session.id)


def test_ids_are_never_paths(tmp_path):
    with pytest.raises(StorageError, match="not a session id"):
        SessionStore(tmp_path).load("../../etc")


def test_a_failed_save_leaves_the_session_working_and_says_so(editor, cat_photo, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data folder should be")
    session = Session(cat_photo, editor, store=SessionStore(blocker))
    reply = session.send("把猫换成狗")
    assert reply.kind == "edited" and reply.saved is False and "会话保存失败" in reply.text
    assert session.send("撤销").version == 0
