"""Atomic file writes: a reader sees either the old file or the complete new one, never a part.

Each write goes to a temporary file in the target's own folder (so the final rename stays on one
file system), is flushed and fsync'ed, then moved over the target with `os.replace`. On any failure
the temporary file is removed and the old target, if there was one, is left untouched. An `OSError`
(disk full, no permission, missing folder) becomes a `StorageError` whose message names the folder
and the cause, in English and Chinese.

Used for saving images and masks, and for session persistence.
"""
from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from tools.errors import StorageError

__all__ = ["atomic_create_bytes", "atomic_write_bytes", "atomic_write_text", "os_reason"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> None:
    """Write `data` to `path` atomically, replacing any existing file.

    The new file gets the usual permissions of a newly created file (0o666 minus the umask).
    Raises `StorageError` when the file cannot be written.
    """
    target = Path(path)
    folder = target.parent
    temp_path = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
    temp_created = False
    try:
        fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        temp_created = True
        with os.fdopen(fd, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_path, target)
        temp_created = False
        _fsync_folder(folder)
    except OSError as err:
        raise _storage_error(target, err) from err
    finally:
        if temp_created:
            _remove_quietly(temp_path)


def atomic_create_bytes(path: str | os.PathLike[str], data: bytes | bytearray | memoryview) -> None:
    """Write `data` to a new file `path`, never replacing one: raises `FileExistsError` when `path`
    exists (as a file, folder or link), `StorageError` when it cannot be written. The file appears
    complete (written to a temporary file, then hard-linked to its name) or not at all."""
    target = Path(path)
    temp_path = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as temp_file:
                temp_file.write(data)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            os.link(temp_path, target)  # fails, atomically, when the name is taken
        finally:
            _remove_quietly(temp_path)
    except FileExistsError:
        raise
    except OSError as err:
        raise _storage_error(target, err) from err
    _fsync_folder(target.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write `text` to `path` atomically, encoded with `encoding` (UTF-8), newlines kept as given."""
    atomic_write_bytes(path, text.encode(encoding))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it (best effort: not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


OS_REASONS = {  # errno → (English, Chinese): the cause of a failed read or write, in each language
    errno.ENOENT: ("no such file or folder", "文件或文件夹不存在"),
    errno.EACCES: ("permission denied", "没有权限"),
    errno.EPERM: ("operation not permitted", "不允许此操作"),
    errno.ENOSPC: ("no space left on the disk", "磁盘空间不足"),
    errno.EISDIR: ("it is a folder", "这是一个文件夹"),
    errno.ENOTDIR: ("part of the path is not a folder", "路径中有一部分不是文件夹"),
    errno.EROFS: ("the disk is read-only", "磁盘是只读的"),
    errno.ENAMETOOLONG: ("the name is too long", "名字太长"),
    errno.EIO: ("input/output error", "读写出错"),
    errno.EDQUOT: ("the disk quota is used up", "磁盘配额已用完"),
}


def os_reason(err: OSError) -> tuple[str, str]:
    """Why an operating-system call failed, as (English, Chinese) text without a final stop."""
    if err.errno in OS_REASONS:
        return OS_REASONS[err.errno]
    english = _one_line(err.strerror or str(err) or type(err).__name__)
    return english, f"系统错误（{english}）" if err.errno is None else f"系统错误 {err.errno}（{english}）"


def _storage_error(target: Path, err: OSError) -> StorageError:
    folder = _one_line(str(target.parent.absolute()))
    name = _one_line(target.name)
    cause, cause_zh = os_reason(err)
    return StorageError(
        f"Could not save {name} in folder {folder}: {cause}. "
        "Check that the folder exists, is writable and the disk has free space.",
        zh=f"无法将 {name} 保存到文件夹 {folder}：{cause_zh}。请确认该文件夹存在、可写入，并且磁盘还有空间。",
    )


def _one_line(text: str) -> str:
    """`text` with line breaks and other control characters replaced, so messages stay one line."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)
