"""One writer at a time per saved session: two tabs, two threads or two programs on one session
take turns, keep every turn, and never both report the same version."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from agent.session.lock import SessionBusyError, SessionLock
from agent.session.session import Session
from agent.session.store import SessionStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def saved(editor, small_photo, tmp_path):
    """A session with one edit, saved under tmp_path/data."""
    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    assert session.send("把猫换成狗").saved is True
    return store, session.id


def test_two_tabs_on_one_session_in_two_threads_keep_both_turns(saved, editor):
    store, session_id = saved
    tabs = [Session.restore(store, session_id, editor) for _ in range(2)]  # both loaded version 1
    start = threading.Barrier(2)
    replies = {}

    def talk(number, text):
        start.wait()
        replies[number] = tabs[number].send(text)

    threads = [threading.Thread(target=talk, args=(0, "把背景变成蓝色")),
               threading.Thread(target=talk, args=(1, "去掉猫"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(reply.kind == "edited" and reply.saved for reply in replies.values())
    assert sorted(reply.version for reply in replies.values()) == [2, 3]
    on_disk = store.load(session_id)
    assert [v.instruction for v in on_disk.versions][:2] == ["", "把猫换成狗"]
    assert sorted(v.instruction for v in on_disk.versions[2:]) == ["去掉猫", "把背景变成蓝色"]
    second = max(replies.values(), key=lambda reply: reply.version)
    assert "已接着它最新的状态（第 2 版）继续" in second.text  # the later tab says it built on the other's turn


def test_a_tab_that_loaded_an_old_state_builds_on_the_latest_save(saved, editor):
    store, session_id = saved
    old_tab = Session.restore(store, session_id, editor)
    Session.restore(store, session_id, editor).send("撤销")  # another tab moves the pointer back to 0
    reply = old_tab.send("撤销")
    assert reply.kind == "error" and reply.text.endswith("没有可以撤销的了。")  # it saw the other tab's undo
    assert store.load(session_id).pointer == 0


def test_a_second_writer_waits_for_the_lock_then_gives_up_in_one_line(saved, editor):
    store, session_id = saved
    busy_store = SessionStore(store.root, lock_timeout=0.3)
    tab = Session.restore(busy_store, session_id, editor)
    with store.lock(session_id):  # another writer is in the middle of a turn
        started = time.monotonic()
        reply = tab.send("把背景变成蓝色")
        waited = time.monotonic() - started
    assert waited >= 0.3 and reply.kind == "error" and reply.error == "busy"
    assert "正被另一个窗口或程序编辑" in reply.text and "\n" not in reply.text
    assert len(store.load(session_id).versions) == 2 and tab.pointer == 1
    assert tab.send("把背景变成蓝色").saved is True  # free again: the turn runs


def test_the_lock_excludes_another_thread_until_it_is_released(tmp_path):
    path = tmp_path / "s" / "lock"
    holder = SessionLock(path, session_id="s")
    holder.acquire()
    outcome = {}

    def try_it():
        try:
            with SessionLock(path, session_id="s", timeout=0.2):
                outcome["got"] = True
        except SessionBusyError as error:
            outcome["busy"] = error.message_for("en")

    thread = threading.Thread(target=try_it)
    thread.start()
    thread.join()
    assert "busy" in outcome and "is busy" in outcome["busy"]
    holder.release()
    with SessionLock(path, session_id="s", timeout=0.2):
        pass


def test_a_killed_writer_leaves_the_session_unlocked(tmp_path):
    path = tmp_path / "s" / "lock"
    code = (f"from agent.session.lock import SessionLock; lock = SessionLock({str(path)!r}); lock.acquire(); "
            "print('held', flush=True); import time; time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(SessionBusyError):
            SessionLock(path, timeout=0.2).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with SessionLock(path, timeout=5):
        pass


def test_two_cli_runs_on_one_session_at_once_keep_both_turns(saved, model_cache, small_photo, tmp_path):
    store, session_id = saved
    env = dict(os.environ, EDIT_EVERYTHING_CACHE=str(model_cache), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    small_photo.save(tmp_path / "photo.png")  # the session's own picture
    runs = [subprocess.Popen([sys.executable, "-m", "ui.cli", "run", str(tmp_path / "photo.png"), text,
                              "-o", str(tmp_path / f"out{n}.png"), "--json", "--data-dir", str(store.root),
                              "--session", session_id, "--preset", "tiny", "--steps", "1"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for n, text in enumerate(("把背景变成蓝色", "去掉猫"))]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err[-1000:] for _, err in outputs]
    reports = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    assert all(report["saved"] is True for report in reports)
    assert sorted(report["version"] for report in reports) == [2, 3]
    on_disk = store.load(session_id)
    assert sorted(v.instruction for v in on_disk.versions[2:]) == ["去掉猫", "把背景变成蓝色"]
