"""Atomic writes: the target is either the old file or the whole new one, and no temp file is left."""
from __future__ import annotations

import errno
import os

import pytest

from tools import files
from tools.errors import StorageError
from tools.files import atomic_write_bytes, atomic_write_text


def test_writes_bytes_and_leaves_only_the_target(tmp_path):
    target = tmp_path / "image.png"
    atomic_write_bytes(target, b"\x89PNG fake")
    assert target.read_bytes() == b"\x89PNG fake"
    assert os.listdir(tmp_path) == ["image.png"]


def test_replaces_an_existing_file(tmp_path):
    target = tmp_path / "session.json"
    target.write_text("old")
    atomic_write_text(target, '{"version": 2}')
    assert target.read_text() == '{"version": 2}'
    assert os.listdir(tmp_path) == ["session.json"]


def test_text_is_utf8_and_newlines_are_kept(tmp_path):
    target = tmp_path / "notes.txt"
    atomic_write_text(target, "把猫换成狗\r\nline two\n")
    assert target.read_bytes() == "把猫换成狗\r\nline two\n".encode("utf-8")


def test_accepts_a_string_path(tmp_path):
    atomic_write_bytes(str(tmp_path / "a.bin"), bytearray(b"abc"))
    assert (tmp_path / "a.bin").read_bytes() == b"abc"


def test_new_file_gets_normal_permissions_not_private_temp_ones(tmp_path):
    target = tmp_path / "shared.png"
    atomic_write_bytes(target, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_rename_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "session.json"
    target.write_text("old and complete")

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", disk_full)
    with pytest.raises(StorageError) as caught:
        atomic_write_text(target, "new")
    assert target.read_text() == "old and complete"
    assert os.listdir(tmp_path) == ["session.json"]
    error = caught.value
    assert str(tmp_path) in error.message and "no space left" in error.message
    assert str(tmp_path) in error.message_zh and "磁盘" in error.message_zh
    assert "\n" not in error.message and "\n" not in error.message_zh


def test_failed_fsync_after_partial_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "big.png"

    def fsync_fails(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files.os, "fsync", fsync_fails)
    with pytest.raises(StorageError):
        atomic_write_bytes(target, b"x" * 100_000)
    assert os.listdir(tmp_path) == []


def test_interrupt_during_write_removes_temp(tmp_path, monkeypatch):
    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(tmp_path / "a.png", b"data")
    assert os.listdir(tmp_path) == []


def test_missing_folder_is_a_storage_error_naming_the_folder(tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(StorageError) as caught:
        atomic_write_bytes(missing / "a.png", b"data")
    assert str(missing) in caught.value.message
    assert not missing.exists()


def test_permission_denied_is_a_storage_error(tmp_path, monkeypatch):
    def denied(path, flags, mode=0o777):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(files.os, "open", denied)
    with pytest.raises(StorageError) as caught:
        atomic_write_bytes(tmp_path / "a.png", b"data")
    assert "permission denied" in caught.value.message and "权限" in caught.value.message_zh
    assert os.listdir(tmp_path) == []
