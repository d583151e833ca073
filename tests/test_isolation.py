"""Sessions never mix: eight sessions editing at once on shared models keep their own pictures and
histories; a session's files are reached only through its own unguessable id."""
import hashlib
import json
import math
import string
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.editor import Editor, EditSettings
from agent.session.session import Session
from agent.session.store import OUR_FILE, SESSION_ID, SessionStore, new_session_id
from tools.errors import BadInputError, StorageError
from ui.cli import main

ANIMALS = ["狗", "兔子", "老虎", "熊猫", "狐狸", "马", "羊", "猴子"]
COLOURS = ["红色", "蓝色", "绿色", "黄色", "紫色", "白色", "黑色", "橙色"]


@pytest.fixture(scope="module")
def editor(tiny_models):
    return Editor(tiny_models, EditSettings(steps=1))


def inputs(cat_photo, count=8) -> list[Image.Image]:
    """`count` different pictures: crops of the cat at different places, every other one mirrored."""
    pictures = []
    for n in range(count):
        x, y = 20 * n, 8 * (n % 4)
        crop = cat_photo.crop((x, y, x + 160, y + 112))
        pictures.append(crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if n % 2 else crop)
    return pictures


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image)


def test_eight_sessions_at_once_on_shared_models_keep_their_own_pictures_and_histories(editor, cat_photo,
                                                                                        tmp_path):
    pictures = inputs(cat_photo)
    assert len({hashlib.sha256(p.tobytes()).hexdigest() for p in pictures}) == 8
    store = SessionStore(tmp_path / "data")  # one data dir for all: sessions save in parallel
    sessions = [Session(p, editor, store=store, interactive=False) for p in pictures]
    scripts = [(f"把猫换成{a}", f"把背景变成{c}") for a, c in zip(ANIMALS, COLOURS)]
    replies: dict[int, list] = {n: [] for n in range(8)}
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def talk(number: int) -> None:
        try:
            start.wait(timeout=120)
            for text in scripts[number]:
                replies[number].append(sessions[number].send(text))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=1800)
    assert not errors and not any(t.is_alive() for t in threads), errors

    finals = []
    for number, (session, picture, script) in enumerate(zip(sessions, pictures, scripts)):
        kinds = [(r.kind, r.saved) for r in replies[number]]
        assert kinds == [("edited", True)] * 2, [r.text for r in replies[number]]
        assert [v.instruction for v in session.versions] == ["", *script]
        assert [e.said for e in session.log if e.kind == "text"] == list(script)
        others = [w for n, (a, c) in enumerate(zip(ANIMALS, COLOURS)) if n != number for w in (f"成{a}", c)]
        assert not any(w in e.said + e.reply for e in session.log for w in others), "another session's words"
        own = pixels(picture)
        assert np.array_equal(pixels(session.versions[0].image), own)
        for before, after in zip(session.versions, session.versions[1:]):
            changed = after.mask
            assert changed.any(), f"session {number}: an edit changed nothing"
            assert np.array_equal(pixels(after.image)[~changed], pixels(before.image)[~changed]), \
                f"session {number}: pixels outside the edit's mask are not its own"
        outside = ~np.logical_or(session.versions[1].mask, session.versions[2].mask)
        assert np.array_equal(pixels(session.image)[outside], own[outside])
        finals.append(pixels(session.image))
        saved = store.load(session.id)
        assert [hashlib.sha256(v.image.tobytes()).digest() for v in saved.versions] == \
               [hashlib.sha256(v.image.tobytes()).digest() for v in session.versions]
    for a in range(8):
        for b in range(a + 1, 8):
            assert not np.array_equal(finals[a], finals[b]), f"sessions {a} and {b} ended with the same picture"
    assert len({s.id for s in sessions}) == 8 and sorted(store.sessions()) == sorted(s.id for s in sessions)


# ------------------------------------------------------------------------------------- session ids
def test_session_ids_are_unguessable():
    ids = [new_session_id() for _ in range(3000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and set(i) <= set(string.hexdigits.lower()) and SESSION_ID.match(i) for i in ids)
    counts = Counter(ch for i in ids for ch in i)
    total = sum(counts.values())
    bits_per_char = -sum(c / total * math.log2(c / total) for c in counts.values())
    assert len(counts) == 16 and bits_per_char > 3.99  # ≈ 4 bits × 32 = 128 bits per id


def test_a_session_id_can_be_typed_after_dash_dash_session():
    """An id starting with "-" would be taken for an option by `edit-everything run --session <id>`."""
    assert not any(new_session_id().startswith("-") for _ in range(3000))


def test_two_stores_never_share_an_id_and_never_see_each_others_sessions(editor, cat_photo, tmp_path):
    small = cat_photo.resize((64, 48))
    first, second = SessionStore(tmp_path / "a"), SessionStore(tmp_path / "b")
    a = [Session(small, editor, store=first) for _ in range(20)]
    b = [Session(small, editor, store=second) for _ in range(20)]
    assert not {s.id for s in a} & {s.id for s in b} and len({s.id for s in a + b}) == 40
    for session in (a[0], b[0]):
        session.send("撤销")  # a turn (refused: nothing to undo) saves the session
    assert first.sessions() == [a[0].id] and second.sessions() == [b[0].id]
    with pytest.raises(StorageError, match="no saved session"):
        second.load(a[0].id)


NOT_OURS = ["../../etc", "", "a/b", "..", ".", "/etc/passwd", "..\\..\\windows", "a" * 15, "a" * 65,
            "abcdefghijklmnop/..", "abcdefgh\x00ijklmnopq", "%2e%2e%2fetc%2fpasswd%2e", "abc defghijklmnopq",
            "猫猫猫猫猫猫猫猫猫猫猫猫猫猫猫猫", "~rootrootrootroot", "abcdefghijklmnop\n", None, 42, ["x"]]


@pytest.mark.parametrize("session_id", NOT_OURS, ids=[repr(i)[:30] for i in NOT_OURS])
def test_a_session_id_that_is_not_ours_is_refused_and_reaches_no_path(editor, cat_photo, tmp_path, session_id):
    store = SessionStore(tmp_path / "data" / "sessions")
    store.root.mkdir(parents=True)
    before = sorted(tmp_path.rglob("*"))
    for attempt in (lambda: store.folder(session_id), lambda: store.load(session_id),
                    lambda: Session.restore(store, session_id, editor)):
        with pytest.raises((StorageError, BadInputError)) as caught:
            attempt()
        assert "\n" not in caught.value.message
    if session_id:  # (no id: the session makes its own)
        session = Session(cat_photo.resize((64, 48)), editor, store=store, session_id=session_id)
        reply = session.send("撤销")  # saving under that id is refused too, and said in the reply
        assert reply.saved is False and "会话保存失败" in reply.text
    assert sorted(tmp_path.rglob("*")) == before, "a refused id created a file or folder"


def test_an_unknown_id_is_a_clear_message_and_the_cli_stops_with_code_2(capsys, tiny_models, tmp_path):
    store = SessionStore(tmp_path / "data")
    unknown = new_session_id()
    with pytest.raises(StorageError, match=f"There is no saved session {unknown}"):
        store.load(unknown)
    for session_id in (unknown, "../../etc"):
        code = main(["run", "撤销", "-o", str(tmp_path / "out.png"), "--data-dir", str(store.root),
                     "--session", session_id, "--preset", "tiny"])
        out, err = capsys.readouterr()
        assert code == 2 and err.startswith("错误：") and err.count("\n") == 1 and "Traceback" not in out + err
        assert session_id in err
    assert not (tmp_path / "out.png").exists() and not store.root.exists()


def test_a_manifest_cannot_reach_another_sessions_files(editor, cat_photo, tmp_path):
    store = SessionStore(tmp_path / "data")
    small = cat_photo.resize((64, 48))
    mine, theirs = Session(small, editor, store=store), Session(small.rotate(180), editor, store=store)
    mine.send("撤销")
    theirs.send("撤销")
    path = store.root / mine.id / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    their_picture = json.loads((store.root / theirs.id / "manifest.json").read_text())["versions"][0]["image"]
    manifest["versions"][0]["image"] = f"../{theirs.id}/{their_picture}"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(StorageError, match="unexpected file"):
        store.load(mine.id)


HOSTILE = ["../../etc/passwd", "把../../x换成/tmp/evil.png", "a/b\\c.png", "$(rm -rf ~)", "CON", "x" * 300,
           "line\nbreak\r\ttab", "把猫换成../../../狗"]


def test_file_names_never_come_from_what_the_user_typed(editor, cat_photo, tmp_path):
    store = SessionStore(tmp_path / "data")
    session = Session(cat_photo.resize((96, 64)), editor, store=store, interactive=False)
    for text in HOSTILE:
        reply = session.send(text)
        assert reply.saved is True and "Traceback" not in reply.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.parent == store.root / session.id for p in files), files
    assert all(p.name in ("manifest.json", "lock") or OUR_FILE.match(p.name) for p in files), [p.name for p in files]
    assert len(store.load(session.id).log) == len(session.log)


def test_the_data_dir_holds_nothing_outside_its_session_folders(editor, cat_photo, tmp_path):
    root = tmp_path / "data"
    sessions = [Session(cat_photo.resize((64, 48)), editor, store=SessionStore(root)) for _ in range(3)]
    for session in sessions:
        session.send("撤销")
    assert sorted(p.name for p in root.iterdir()) == sorted(s.id for s in sessions)
    assert not any(Path(tmp_path / name).exists() for name in ("etc", "x", "evil.png"))
