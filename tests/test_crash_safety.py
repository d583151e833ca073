"""A process killed at any point leaves a session that opens: every version saved before the kill,
a manifest that parses, the interrupted turn simply absent, no temporary file in the folder."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import agent.session.store
from agent.session.session import Session
from agent.session.store import STALE_TEMP_SECONDS, SessionStore
from tools.errors import StorageError
from tools.images import load_image

ROOT = Path(__file__).resolve().parents[1]

# A session in its own process: one edit saved, then a second edit held in its diffusion loop
# (on_progress sleeps after the first denoising step) so that the test can kill it there.
SCRIPT = """
import hashlib, json, sys, time
from pathlib import Path
import numpy as np
from agent.editor import Editor, EditSettings
from agent.session.session import Session
from agent.session.store import SessionStore
from tools.images import load_image
from tools.models import load_models

photo, data, marker = sys.argv[1:4]
editor = Editor(load_models("tiny"), EditSettings(steps=2))
session = Session(load_image(photo), editor, store=SessionStore(data), interactive=False)
reply = session.send("把猫换成狗")
assert reply.kind == "edited" and reply.saved, reply.text
saved = {"id": session.id, "sha": hashlib.sha256(np.asarray(session.image).tobytes()).hexdigest()}
Path(marker + ".json").write_text(json.dumps(saved))

def hold(event):
    if event.stage == "inpaint" and event.done >= 1:
        Path(marker).write_text("generating")
        time.sleep(600)

session.send("把背景变成蓝色", on_progress=hold)
print("the second turn was not interrupted")
"""


def sha(image) -> str:
    return hashlib.sha256(np.asarray(image).tobytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Files of the session folder that its manifest does not name (temporary files, orphans)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    named = {"manifest.json", "lock", manifest["alpha"]} | {v["image"] for v in manifest["versions"]}
    named |= {s[k] for v in manifest["versions"] for s in v["steps"] for k in ("region", "changed")}
    return sorted(p.name for p in folder.iterdir() if p.name not in named)


def test_sigkill_during_a_generation_leaves_every_earlier_version(model_cache, photo_file, tmp_path, editor):
    data, marker = tmp_path / "data", tmp_path / "generating"
    env = dict(os.environ, EDIT_EVERYTHING_CACHE=str(model_cache), HF_HUB_OFFLINE="1")
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, str(photo_file), str(data), str(marker)], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600  # a loaded machine: the tiny models still load in seconds
        while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the script never reached the second generation: {process.communicate()}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    saved = json.loads(marker.with_suffix(".json").read_text())
    folder = data / saved["id"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))  # parses
    assert manifest["format"] == 2 and manifest["pointer"] == 1 and len(manifest["versions"]) == 2

    store = SessionStore(data)
    assert store.sessions() == [saved["id"]]
    session = Session.restore(store, saved["id"], editor)
    assert [v.kind for v in session.versions] == ["original", "edit"] and session.pointer == 1
    assert sha(session.versions[0].image) == sha(load_image(photo_file).rgb)
    assert sha(session.image) == saved["sha"]
    assert [e.said for e in session.log if e.kind == "text"] == ["把猫换成狗"]  # the killed turn is absent
    assert leftovers(folder) == [], "a temporary or half-written file was left in the session folder"

    reply = session.send("把背景变成蓝色")  # and the session goes on
    assert reply.kind == "edited" and reply.saved is True and reply.version == 2
    assert len(store.load(saved["id"]).versions) == 3 and leftovers(folder) == []


class Killed(BaseException):
    """Stands for the process dying: nothing in the program catches it."""


def test_a_save_cut_short_before_its_manifest_keeps_the_previous_save(editor, small_photo, tmp_path, monkeypatch):
    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    assert session.send("把猫换成狗").saved is True
    folder = store.root / session.id
    before = (folder / "manifest.json").read_bytes()

    def die(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(agent.session.store, "atomic_write_text", die)  # the new pictures are written, then death
    with pytest.raises(Killed):
        session.send("把背景变成蓝色")
    monkeypatch.undo()
    assert (folder / "manifest.json").read_bytes() == before
    assert not any(p.name.endswith(".tmp") for p in folder.iterdir())
    assert len(leftovers(folder)) == 3, "the new version's picture and masks, not yet in any manifest"

    restored = Session.restore(SessionStore(store.root), session.id, editor)  # "the next process"
    assert len(restored.versions) == 2 and restored.pointer == 1
    assert sha(restored.image) == sha(session.versions[1].image)
    assert restored.undo().saved is True and leftovers(folder) == []  # the next save tidies up


def test_a_kill_during_the_first_save_leaves_no_session_and_a_clear_message(editor, small_photo, tmp_path,
                                                                            monkeypatch):
    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    monkeypatch.setattr(agent.session.store, "atomic_write_text", lambda *a, **k: (_ for _ in ()).throw(Killed()))
    with pytest.raises(Killed):
        session.send("把猫换成狗")
    monkeypatch.undo()
    assert store.sessions() == []
    with pytest.raises(StorageError, match="There is no saved session") as caught:
        store.load(session.id)
    assert "没有保存过会话" in caught.value.message_for("zh")


def test_temporary_files_of_a_killed_save_are_ignored_then_removed(editor, small_photo, tmp_path):
    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    session.send("把猫换成狗")
    folder = store.root / session.id
    old = [folder / ".manifest.json.0123456789ab.tmp", folder / f".v002-{'ab' * 6}.png.0123456789ab.tmp"]
    old[0].write_text('{"format": 1, "versions": [')  # half a manifest
    old[1].write_bytes(b"\x89PNG\r\n half a picture")
    fresh = folder / ".manifest.json.ba9876543210.tmp"  # another writer's save in flight: not ours to touch
    fresh.write_text("{")
    for path in old:
        os.utime(path, (time.time() - STALE_TEMP_SECONDS - 5,) * 2)
    assert len(Session.restore(store, session.id, editor).versions) == 2  # the loader ignores them
    session.send("撤销")
    assert not any(p.exists() for p in old) and fresh.exists()
    user_file = folder / "notes.txt"  # not one of our names: never removed
    user_file.write_text("mine")
    session.send("重做")
    assert user_file.exists()
