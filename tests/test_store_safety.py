"""A saved session that cannot be trusted is reported, never discarded; a data dir that cannot be
written is reported in the chat while the session in memory keeps working."""
import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agent.parse import EditCommand
from agent.session.session import Session
from agent.session.store import SessionStore, Snapshot, new_session_id
from agent.session.version import LogEntry, Step, Version
from tools.errors import EditError, StorageError
from ui.cli import main


def fake_snapshot(size=(48, 32), *, alpha=False) -> Snapshot:
    """A saved history without any model: the original, an edit with one step, an undo."""
    rng = np.random.default_rng(0)
    original = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    region = np.zeros((size[1], size[0]), dtype=bool)
    region[4:12, 4:20] = True
    edited = np.asarray(original).copy()
    edited[region] = (0, 0, 255)
    step = Step(EditCommand(action="replace", source="猫", target="狗", language="zh"), region, region, seed=3,
                model_ids={"inpainter": "tiny"}, timings={"inpaint": 0.1})
    versions = (Version(0, "original", original), Version(1, "edit", Image.fromarray(edited), "把猫换成狗", (step,)))
    log = (LogEntry("text", "把猫换成狗", "好了", 1, shows=versions[1].uid, made=True),)
    mask = Image.new("L", size, 200) if alpha else None
    return Snapshot(new_session_id(), versions, 1, log, mask)


@pytest.fixture
def saved(tmp_path):
    store = SessionStore(tmp_path / "data")
    snapshot = fake_snapshot(alpha=True)
    store.save(snapshot)
    return store, snapshot


def folder_state(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def one_line(text: str) -> bool:
    return "\n" not in text.strip()


def test_a_saved_session_round_trips(saved):
    store, snapshot = saved
    loaded = store.load(snapshot.id)
    assert loaded.pointer == 1 and [v.kind for v in loaded.versions] == ["original", "edit"]
    assert np.array_equal(np.asarray(loaded.current.image), np.asarray(snapshot.current.image))
    assert loaded.alpha.size == (48, 32)


@pytest.mark.parametrize("future", [3, 99])
def test_a_manifest_from_a_future_version_is_reported_and_left_alone(saved, future, editor):
    store, snapshot = saved
    path = store.root / snapshot.id / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(dict(manifest, format=future, new_field={"x": 1})), encoding="utf-8")
    before = folder_state(path.parent)
    for load in (lambda: store.load(snapshot.id), lambda: Session.restore(store, snapshot.id, editor)):
        with pytest.raises(StorageError) as caught:
            load()
        assert "newer version" in caught.value.message and f"format {future}" in caught.value.message
        assert "更新版本" in caught.value.message_for("zh") and one_line(caught.value.message)
    assert folder_state(path.parent) == before, "the newer session was changed or discarded"
    assert snapshot.id in store.sessions()


def damage_cases():
    """(name, change to the manifest text or the folder) — every one a damaged session."""
    def edit(change):
        return lambda folder, m: (folder / "manifest.json").write_text(json.dumps(change(m)), encoding="utf-8")

    def text(content: bytes):
        return lambda folder, m: (folder / "manifest.json").write_bytes(content)

    def version_1(**fields):
        return edit(lambda m: dict(m, versions=[m["versions"][0], dict(m["versions"][1], **fields)]))

    def step_1(**fields):
        return edit(lambda m: dict(m, versions=[m["versions"][0], dict(
            m["versions"][1], steps=[dict(m["versions"][1]["steps"][0], **fields)])]))

    def remove(name_of):
        return lambda folder, m: (folder / name_of(m)).unlink()

    def overwrite(name_of, content: bytes):
        return lambda folder, m: (folder / name_of(m)).write_bytes(content)

    first_image = lambda m: m["versions"][1]["image"]  # noqa: E731
    return [
        ("truncated json", lambda folder, m: (folder / "manifest.json").write_bytes(
            (folder / "manifest.json").read_bytes()[:200])),
        ("empty file", text(b"")),
        ("not utf-8", text(b"\xff\xfe\x00garbage\x80")),
        ("a list", text(b"[1, 2, 3]")),
        ("no format", edit(lambda m: {k: v for k, v in m.items() if k != "format"})),
        ("format a string", edit(lambda m: dict(m, format="1"))),
        ("versions a string", edit(lambda m: dict(m, versions="v000.png"))),
        ("versions empty", edit(lambda m: dict(m, versions=[]))),
        ("pointer a word", edit(lambda m: dict(m, pointer="two"))),
        ("pointer out of range", edit(lambda m: dict(m, pointer=5))),
        ("pointer negative", edit(lambda m: dict(m, pointer=-1))),
        ("log not a list", edit(lambda m: dict(m, log=7))),
        ("log entry without text", edit(lambda m: dict(m, log=[{"role": "user"}]))),
        ("first version not the original", edit(lambda m: dict(m, versions=[m["versions"][1]]))),
        ("versions out of order", edit(lambda m: dict(m, versions=[m["versions"][0], m["versions"][0]]))),
        ("unknown kind", version_1(kind="import")),
        ("number not a number", version_1(number="one")),
        ("step command invalid", step_1(command={"action": "explode"})),
        ("step seed a word", step_1(seed="lucky")),
        ("missing picture file", remove(first_image)),
        ("missing mask file", remove(lambda m: m["versions"][1]["steps"][0]["region"])),
        ("missing alpha file", remove(lambda m: "alpha.png")),
        ("picture not a png", overwrite(first_image, b"not a picture at all")),
        ("picture truncated", lambda folder, m: (folder / first_image(m)).write_bytes(
            (folder / first_image(m)).read_bytes()[:60])),
        ("picture of another size", lambda folder, m: Image.new("RGB", (10, 10)).save(folder / first_image(m))),
        ("alpha of another size", lambda folder, m: Image.new("L", (10, 10)).save(folder / "alpha.png")),
        ("picture outside the folder", version_1(image="../x.png")),
        ("picture two levels up", version_1(image="../../etc/passwd")),
        ("absolute picture path", version_1(image="/etc/passwd")),
        ("picture in another session", version_1(image=f"../{new_session_id()}/v001-0123456789ab.png")),
        ("picture not ours", version_1(image="manifest.json")),
        ("picture name not a string", version_1(image=["v001.png"])),
        ("mask outside the folder", step_1(region="../v001-0123456789ab-s1-region.png")),
        ("alpha outside the folder", edit(lambda m: dict(m, alpha="../alpha.png"))),
    ]


DAMAGE = damage_cases()


@pytest.mark.parametrize("damage", [d for _, d in DAMAGE], ids=[n for n, _ in DAMAGE])
def test_a_damaged_session_is_a_one_line_storage_error_and_is_left_as_it_is(saved, damage):
    store, snapshot = saved
    folder = store.root / snapshot.id
    damage(folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    (store.root / "x.png").write_bytes(b"outside")  # what "../x.png" would reach
    before = folder_state(folder)
    with pytest.raises(StorageError) as caught:
        store.load(snapshot.id)
    error = caught.value
    assert "damaged" in error.message and "已损坏" in error.message_for("zh"), error.message
    assert one_line(error.message) and one_line(error.message_for("zh")) and "Traceback" not in error.message
    assert folder_state(folder) == before, "loading changed the damaged session"


@pytest.mark.parametrize("kind", ["future", "damaged"])
def test_the_cli_reports_an_unreadable_session_in_one_line_with_exit_code_2(saved, kind, capsys, tiny_models,
                                                                         tmp_path):
    store, snapshot = saved
    path = store.root / snapshot.id / "manifest.json"
    path.write_text("{cut" if kind == "damaged" else json.dumps({"format": 7}), encoding="utf-8")
    out = tmp_path / "out.png"
    code = main(["run", "撤销", "-o", str(out), "--data-dir", str(store.root), "--session", snapshot.id,
                 "--preset", "tiny"])
    stdout, err = capsys.readouterr()
    assert code == 2 and err.startswith("错误：") and one_line(err) and "Traceback" not in stdout + err, err
    assert ("更新版本" if kind == "future" else "已损坏") in err
    assert not out.exists()


# ----------------------------------------------------------------------------- unwritable data dir
def failing(monkeypatch, root: Path, name: str, code: int):
    """Make `os.<name>` fail with `code` for paths under `root` (chmod does not stop root)."""
    real = getattr(os, name)

    def fake(*args, **kwargs):
        paths = [str(os.fspath(a)) for a in args if isinstance(a, (str, os.PathLike))]
        if any(p.startswith(str(root)) for p in paths):  # os.replace(src, dst): either one
            raise OSError(code, os.strerror(code), paths[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, fake)


def no_temp_files(root: Path) -> bool:
    return not any(p.name.endswith(".tmp") for p in root.rglob("*")) if root.exists() else True


@pytest.mark.parametrize("name, code, words", [
    ("replace", errno.ENOSPC, "磁盘空间不足"),
    ("open", errno.ENOSPC, "磁盘空间不足"),
    ("open", errno.EACCES, "没有权限"),
    ("mkdir", errno.EACCES, "没有权限"),
    ("mkdir", errno.EROFS, "只读"),
])
def test_an_unwritable_data_dir_is_reported_and_the_session_keeps_working(editor, small_photo, tmp_path,
                                                                          monkeypatch, name, code, words):
    root = tmp_path / "data"
    session = Session(small_photo, editor, store=SessionStore(root))
    failing(monkeypatch, root, name, code)
    first = session.send("把猫换成狗")
    assert first.kind == "edited" and first.saved is False and first.error is None
    assert first.text.startswith("好了") and "会话保存失败" in first.text and words in first.text, first.text
    assert one_line(first.text) and "Traceback" not in first.text
    second = session.send("把背景变成蓝色")  # the next turn still works, in memory
    assert second.kind == "edited" and second.version == 2 and second.saved is False
    assert session.undo().version == 1 and session.redo().version == 2
    assert [v.instruction for v in session.versions] == ["", "把猫换成狗", "把背景变成蓝色"]
    assert no_temp_files(root)
    monkeypatch.undo()  # the disk has room again: the next turn saves the whole history
    assert session.undo().saved is True
    restored = SessionStore(root).load(session.id)
    assert len(restored.versions) == 3 and restored.pointer == 1 and no_temp_files(root)


def test_saving_failure_is_said_in_english_to_an_english_speaker(editor, small_photo, tmp_path, monkeypatch):
    root = tmp_path / "data"
    session = Session(small_photo, editor, store=SessionStore(root), language="en")
    failing(monkeypatch, root, "replace", errno.ENOSPC)
    reply = session.send("replace the cat with a dog")
    assert reply.kind == "edited" and reply.saved is False and reply.language == "en"
    assert "Saving the session failed" in reply.text and "no space left" in reply.text and "会话" not in reply.text


def test_a_disk_that_fills_up_mid_session_keeps_the_last_good_save(editor, small_photo, tmp_path, monkeypatch):
    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    assert session.send("把猫换成狗").saved is True
    folder = store.root / session.id
    manifest = (folder / "manifest.json").read_bytes()
    failing(monkeypatch, folder / "manifest.json", "replace", errno.ENOSPC)  # pictures fit, the manifest not
    reply = session.send("把背景变成蓝色")
    assert reply.kind == "edited" and reply.saved is False and len(session.versions) == 3
    assert (folder / "manifest.json").read_bytes() == manifest and no_temp_files(folder)
    assert len(store.load(session.id).versions) == 2  # the last good save, complete
    monkeypatch.undo()
    assert session.send("撤销").saved is True
    loaded = store.load(session.id)
    assert len(loaded.versions) == 3 and loaded.pointer == 1
    assert np.array_equal(np.asarray(loaded.versions[2].image), np.asarray(session.versions[2].image))


def test_files_that_cannot_be_tidied_do_not_fail_the_save(editor, small_photo, tmp_path, monkeypatch):
    store = SessionStore(tmp_path / "data")
    session = Session(small_photo, editor, store=store)
    session.send("把猫换成狗")
    session.send("撤销")
    failing(monkeypatch, store.root, "unlink", errno.EACCES)  # the dropped version's pictures cannot go
    reply = session.send("把背景变成蓝色")
    assert reply.kind == "edited" and reply.saved is True and "保存失败" not in reply.text
    assert len(store.load(session.id).versions) == 2
    monkeypatch.undo()
    assert session.send("撤销").saved is True
    names = {p.name for p in (store.root / session.id).iterdir()}
    assert not any(session.versions[1].uid not in n and n.startswith("v001") for n in names)


# ----------------------------------------------------------------------------- nothing half-saved
def pictures(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix == ".png"} if folder.exists() else set()


def test_text_that_is_not_unicode_fails_the_save_before_any_file_is_written(tmp_path):
    store = SessionStore(tmp_path / "data")
    snapshot = fake_snapshot()
    broken = Snapshot(snapshot.id, snapshot.versions, 1, (LogEntry("text", "\udcff\udcfe junk", "", 0),))
    with pytest.raises(StorageError) as caught:
        store.save(broken)
    assert "Unicode" in caught.value.message and one_line(caught.value.message_for("zh"))
    assert pictures(store.root / snapshot.id) == set()  # no pictures without a manifest


def test_a_save_that_fails_at_the_manifest_removes_the_pictures_it_wrote(saved, monkeypatch):
    store, snapshot = saved
    folder = store.root / snapshot.id
    before = folder_state(folder)
    extra = Version(2, "edit", snapshot.versions[1].image.rotate(180), "再改一次", snapshot.versions[1].steps)
    failing(monkeypatch, folder / "manifest.json", "replace", errno.ENOSPC)
    with pytest.raises(StorageError, match="no space left"):
        store.save(Snapshot(snapshot.id, snapshot.versions + (extra,), 2, snapshot.log, snapshot.alpha))
    assert folder_state(folder) == before and no_temp_files(folder)  # v002 pictures are gone again


# ------------------------------------------------------------------------------------- export
def test_an_export_must_be_a_new_zip_file(saved, tmp_path):
    from agent.session.store import write_export

    _, snapshot = saved
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    old_zip = tmp_path / "old.zip"
    old_zip.write_bytes(b"an older export")
    refusals = {notes: "zip", tmp_path / "out.png": "zip", old_zip: "already exists",
                tmp_path / "folder.zip": "already exists", tmp_path: "zip"}
    (tmp_path / "folder.zip").mkdir()
    for path, words in refusals.items():
        with pytest.raises(EditError) as caught:
            write_export(snapshot, path)
        assert words in caught.value.message and one_line(caught.value.message_for("zh")), path
    assert notes.read_text() == "my notes" and old_zip.read_bytes() == b"an older export"
    assert write_export(snapshot, tmp_path / "new.ZIP").is_file()
