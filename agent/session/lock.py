"""One writer at a time for a saved session: a lock file beside its manifest.

    with SessionLock(store.folder(session_id) / "lock", session_id=session_id):
        ...   # load the latest, run the turn, save: nobody else writes this session meanwhile

The lock is `fcntl.flock` on the file `<data_dir>/<id>/lock` (on Windows `msvcrt.locking`). The
system releases it when the process ends, however it ends, so a crash never leaves a session
locked. Each `SessionLock` opens the file itself, so two sessions on one id in one process (two
browser tabs) exclude each other too, not only two processes. A second writer waits, polling, up
to `timeout` seconds, then gets a `SessionBusyError` in English and Chinese.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from tools.errors import StorageError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

logger = logging.getLogger("edit-everything.store")
DEFAULT_TIMEOUT = 600.0  # seconds a second writer waits: longer than a slow turn at full size
POLL_SECONDS = 0.05


class SessionBusyError(StorageError):
    """Another window or program kept the session for longer than the wait allows."""

    kind = "busy"


class SessionLock:
    """An exclusive lock on `path` (created with its folder when missing), as a context manager.

    timeout: seconds to wait for another writer (0: do not wait); session_id: named in the message.
    """

    def __init__(self, path: str | Path, *, session_id: str = "", timeout: float = DEFAULT_TIMEOUT):
        self.path, self.session_id, self.timeout = Path(path), session_id, timeout
        self._fd: int | None = None

    def __enter__(self) -> "SessionLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Wait until this is the only holder; raises SessionBusyError after `timeout` seconds. When
        the lock file cannot be created (an unwritable data folder) nothing is held: saving fails
        there anyway, with its own message."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as error:  # an unwritable data folder: no writer can save there, so none can
            logger.warning("no lock file %s: %s", self.path, error)  # overwrite another; the save says why
            return
        deadline = time.monotonic() + self.timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                en, zh = ((f"{round(self.timeout / 60)} min", f"{round(self.timeout / 60)} 分钟") if self.timeout >= 60
                          else (f"{self.timeout:g} s", f"{self.timeout:g} 秒"))
                raise SessionBusyError(
                    f"Session {self.session_id} is busy: another window or program is editing it (waited {en}). "
                    "Try again when it is done.",
                    zh=f"会话 {self.session_id} 正被另一个窗口或程序编辑（已等待 {zh}）。请等它完成后再试。")
            time.sleep(POLL_SECONDS)
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            _unlock(fd)
            os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows: lock the first byte
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:  # pragma: no cover - Windows
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    except OSError:
        pass  # closing the descriptor releases it anyway
