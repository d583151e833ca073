"""Sessions on disk: every version as PNG plus a JSON manifest, written atomically after each turn.

    store = SessionStore("~/.local/share/edit-everything/sessions")
    store.save(session.snapshot())           # data_dir/<session_id>/manifest.json + v000-<uid>.png ...
    snapshot = store.load(session_id)        # every version, the pointer and the conversation
    write_export(snapshot, "session.zip")    # versions/, final.png, conversation.txt, manifest.json
    with store.lock(session_id): ...         # one writer at a time (agent/session/lock.py)

Layout of a session folder (file names come from version numbers and random ids, never from what
the user typed):
    manifest.json            {"format": 2, "id": ..., "revision": 7, "language": "zh", "pointer": 2,
                              "versions": [...], "log": [{"kind": "text", "said": ..., "reply": ...}, ...]}
    lock                     held by the one writer of the session during a turn (agent/session/lock.py)
    v001-<uid>.png           the picture of version 1
    v001-<uid>-s1-region.png / -s1-changed.png   1-bit masks of step 1 (regenerate needs the region)
    alpha.png                the original upload's transparency, when it had any

Images are written before the manifest that names them, so a crash leaves the previous manifest
complete; the manifest's text is made (and encoded) before any file is written, and a save that
fails removes the pictures it wrote, so nothing is left half-saved. Every save adds one to the
manifest's `revision`: a session compares it with the revision it loaded to see that another
writer committed a turn meanwhile. A manifest from a newer program or a corrupted one raises `StorageError`; nothing is
discarded silently. Format 1 (no language, the log as user/assistant lines) is still read
(agent/session/legacy.py).
"""
from __future__ import annotations

import io
import json
import logging
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, get_args

import numpy as np
from PIL import Image

from agent.parse import EditCommand
from agent.session.legacy import log_from_format_1, typed_language
from agent.session.lock import DEFAULT_TIMEOUT, SessionLock
from agent.session.version import LogEntry, LogKind, Step, Version, VersionKind
from tools.errors import BadInputError, StorageError
from tools.files import atomic_create_bytes, atomic_write_bytes, atomic_write_text, os_reason
from tools.images import image_to_png_bytes
from tools.masks import mask_to_png_bytes

logger = logging.getLogger("edit-everything.store")
FORMAT = 2  # 2: the language and the typed log (1: user/assistant lines, still read)
MANIFEST = "manifest.json"
LOCK = "lock"
KINDS = get_args(VersionKind)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}\Z")  # \Z: "$" would let a trailing newline through
OUR_FILE = re.compile(r"^(v\d{3,}-[0-9a-f]{8,32}(-s\d+-(region|changed))?|alpha)\.png\Z")
OUR_TEMP = re.compile(r"^\.(manifest\.json|v\d{3,}-[0-9a-f]{8,32}(-s\d+-(region|changed))?\.png|alpha\.png)"
                      r"\.[0-9a-f]{12}\.tmp\Z")  # tools.files' temporary names for our files
STALE_TEMP_SECONDS = 600  # a temporary file this old was left by a process killed while saving


def new_session_id() -> str:
    """An unguessable id (32 hex characters, 128 random bits) that is also the session's folder name.

    Hex, not URL-safe base64: one id in 64 of those starts with "-", which a command line
    (`--session -Xy…`) takes for an option.
    """
    return secrets.token_hex(16)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """A session's state: what is saved, loaded and exported."""

    id: str
    versions: tuple[Version, ...]
    pointer: int
    log: tuple[LogEntry, ...] = ()
    alpha: Image.Image | None = None
    created: float = field(default_factory=time.time)
    revision: int = 0  # the saved manifest's revision this state was loaded from or saved as (0: never saved)
    language: str | None = None  # "zh" / "en": the replies' language (None: unknown, format 1 never typed in)

    @property
    def current(self) -> Version:
        return self.versions[self.pointer]


class SessionStore:
    """A folder of sessions, one subfolder per session id. Safe for different sessions in parallel."""

    def __init__(self, root: str | Path, *, lock_timeout: float = DEFAULT_TIMEOUT):
        self.root = Path(root).expanduser()
        self.lock_timeout = lock_timeout  # seconds a turn waits for another writer of its session

    def folder(self, session_id: str) -> Path:
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            shown = "".join(ch if ch.isprintable() else "?" for ch in str(session_id)[:80])  # one line
            raise StorageError(f"'{shown}' is not a session id.", zh=f"“{shown}”不是有效的会话编号。")
        return self.root / session_id

    def sessions(self) -> list[str]:
        """Ids of the saved sessions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p for p in self.root.iterdir() if SESSION_ID.match(p.name) and (p / MANIFEST).is_file()]
        return [p.name for p in sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime)]

    # --------------------------------------------------------------------------------- saving
    def lock(self, session_id: str, *, timeout: float | None = None) -> SessionLock:
        """The session's writer lock (a context manager): hold it from loading the latest state to
        saving the turn. Waits up to `timeout` seconds (default `lock_timeout`) for another writer,
        then raises SessionBusyError."""
        return SessionLock(self.folder(session_id) / LOCK, session_id=session_id,
                           timeout=self.lock_timeout if timeout is None else timeout)

    def revision(self, session_id: str) -> int | None:
        """The revision of the saved manifest (None: never saved), to see if another writer saved."""
        path = self.folder(session_id) / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            return int(manifest.get("revision", 0))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, AttributeError) as error:  # unreadable: saving repairs it
            logger.warning("could not read the revision of session %s: %s", session_id, error)
            return None

    def save(self, snapshot: Snapshot) -> Path:
        """Write the snapshot's new pictures and masks, then its manifest (revision
        `snapshot.revision + 1`); remove pictures of versions no longer in the history. Raises
        StorageError; then the old manifest stays valid and no picture of this save is left."""
        folder = self.folder(snapshot.id)
        entries = [version_entry(version) for version in snapshot.versions]
        manifest = {"format": FORMAT, "id": snapshot.id, "revision": snapshot.revision + 1,
                    "created": snapshot.created, "saved": time.time(), "language": snapshot.language,
                    "pointer": snapshot.pointer, "alpha": "alpha.png" if snapshot.alpha is not None else None,
                    "versions": entries, "log": [log_record(e) for e in snapshot.log]}
        text = json.dumps(manifest, ensure_ascii=False, indent=1)
        try:  # checked first: text that cannot be encoded fails before any file is written
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise StorageError("The session could not be saved: its text is not valid Unicode.",
                               zh="会话无法保存：其中有无效的 Unicode 文字。") from error
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            why, why_zh = os_reason(error)
            raise StorageError(f"Could not create the session folder {folder}: {why}.",
                               zh=f"无法创建会话文件夹 {folder}：{why_zh}。") from error
        files = picture_files(snapshot, entries)
        written: list[Path] = []
        try:
            for name, data in files.items():
                if not (folder / name).exists():  # a file name is never reused for other content
                    atomic_write_bytes(folder / name, data())
                    written.append(folder / name)
            atomic_write_text(folder / MANIFEST, text)
        except Exception:  # (a killed process cannot clean up: the next save's tidy() does)
            for path in written:  # nothing half-saved: no picture without the manifest that names it
                path.unlink(missing_ok=True)
            raise
        tidy(folder, set(files))
        return folder

    # -------------------------------------------------------------------------------- loading
    def load(self, session_id: str) -> Snapshot:
        """The saved session `session_id`. Raises StorageError when it is missing, from a newer
        program, or damaged."""
        folder = self.folder(session_id)
        path = folder / MANIFEST
        if not path.is_file():
            raise StorageError(f"There is no saved session {session_id}.", zh=f"没有保存过会话 {session_id}。")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise damaged(session_id, f"the manifest cannot be read ({error})") from error
        if not isinstance(manifest, dict) or not isinstance(manifest.get("format"), int):
            raise damaged(session_id, "the manifest has no format number")
        if manifest["format"] > FORMAT:
            raise StorageError(
                f"Session {session_id} was saved by a newer version of Edit Everything (format "
                f"{manifest['format']}; this one reads up to {FORMAT}). Update the program to open it.",
                zh=f"会话 {session_id} 是由更新版本的程序保存的（格式 {manifest['format']}，本程序最多支持 "
                   f"{FORMAT}）。请更新程序后再打开。")
        try:
            versions = tuple(read_version(folder, entry) for entry in manifest["versions"])
            pointer = int(manifest["pointer"])
            if manifest["format"] == 1:
                log = log_from_format_1(manifest.get("log", []), versions)
                language = typed_language(log)
            else:
                log = tuple(read_log_entry(e) for e in manifest.get("log", []))
                language = manifest.get("language")
            if language not in (None, "zh", "en"):
                raise ValueError(f"unknown language {str(language)[:20]!r}")
            alpha = read_png(folder, manifest["alpha"], "L") if manifest.get("alpha") else None
            created = float(manifest.get("created", time.time()))
            revision = int(manifest.get("revision", 0))
        except StorageError:
            raise
        except Exception as error:  # noqa: BLE001 - any malformed field means a damaged manifest
            raise damaged(session_id, f"{type(error).__name__}: {error}") from error
        if not versions or not 0 <= pointer < len(versions) or versions[0].kind != "original":
            raise damaged(session_id, "the history or its pointer is inconsistent")
        if any(v.number != i or v.kind not in KINDS or (i > 0 and not 0 <= v.base < i)
               for i, v in enumerate(versions)):
            raise damaged(session_id, "the versions are not numbered 0, 1, 2, … or have an unknown kind")
        if any(v.image.size != versions[0].image.size for v in versions):
            raise damaged(session_id, "the versions have different sizes")
        if alpha is not None and alpha.size != versions[0].image.size:
            raise damaged(session_id, "the transparency mask does not fit the picture")
        return Snapshot(id=session_id, versions=versions, pointer=pointer, log=log, alpha=alpha, created=created,
                        revision=revision, language=language)


def write_export(snapshot: Snapshot, path: str | Path) -> Path:
    """A zip at `path`: versions/vNNN.png for every version, final.png (the current picture, with
    the original's transparency), conversation.txt and manifest.json. Needs no store (a session
    without one can export too). The name must end in .zip and must not exist yet: an export never
    replaces a file (BadInputError)."""
    path = Path(path)
    shown = "".join(ch if ch.isprintable() else "?" for ch in str(path))[:200]
    if path.suffix.lower() != ".zip":
        raise BadInputError(f"An export is a zip file: give a name ending in .zip (got '{shown}').",
                            zh=f"导出的是 zip 文件：请给一个以 .zip 结尾的文件名（收到“{shown}”）。")
    if path.exists() or path.is_symlink():
        raise exists_already(shown)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for version in snapshot.versions:
            archive.writestr(f"versions/v{version.number:03d}.png", image_to_png_bytes(version.image))
        archive.writestr("final.png", image_to_png_bytes(snapshot.current.image, snapshot.alpha))
        archive.writestr("conversation.txt", conversation_text(snapshot.log))
        manifest = {"format": FORMAT, "id": snapshot.id, "language": snapshot.language, "pointer": snapshot.pointer,
                    "versions": [dict(version_entry(v), image=f"versions/v{v.number:03d}.png", steps=[
                        {k: val for k, val in s.items() if k not in ("region", "changed")}
                        for s in version_entry(v)["steps"]]) for v in snapshot.versions],
                    "log": [log_record(e) for e in snapshot.log]}
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    try:
        atomic_create_bytes(path, buffer.getvalue())
    except FileExistsError as error:  # made meanwhile by someone else
        raise exists_already(shown) from error
    return path


def exists_already(shown: str) -> BadInputError:
    return BadInputError(f"'{shown}' already exists; an export never replaces a file. Choose another name.",
                         zh=f"“{shown}”已经存在；导出不会覆盖已有的文件，请换一个文件名。")


# ------------------------------------------------------------------------------------ helpers
def conversation_text(log: tuple[LogEntry, ...]) -> str:
    """The conversation as text: for each turn "[time] user: …" (what was typed, or the button) and
    "[time] assistant (vN): …"."""
    lines = []
    for entry in log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.time))
        if entry.said or entry.number is not None:
            shown = entry.said if entry.kind == "text" else f"[{entry.kind}] {entry.said}"
            lines.append(f"[{stamp}] user: {shown}")
        lines.append(f"[{stamp}] assistant (v{entry.version}): {entry.reply}")
    return "\n".join(lines) + "\n"


def log_record(entry: LogEntry) -> dict:
    return {"kind": entry.kind, "said": entry.said, "number": entry.number, "reply": entry.reply,
            "version": entry.version, "shows": entry.shows, "made": entry.made, "time": entry.time}


def read_log_entry(record: dict) -> LogEntry:
    if record["kind"] not in get_args(LogKind):
        raise ValueError(f"unknown log entry kind {str(record['kind'])[:20]!r}")
    number, shows = record.get("number"), record.get("shows")
    return LogEntry(record["kind"], str(record["said"]), str(record["reply"]), int(record["version"]),
                    number=None if number is None else int(number), shows=None if shows is None else str(shows),
                    made=bool(record.get("made", False)), time=float(record["time"]))


def picture_files(snapshot: Snapshot, entries: list[dict]) -> dict[str, Callable[[], bytes]]:
    """File name → PNG bytes (made when called) of every picture and mask the manifest names."""
    files: dict[str, Callable[[], bytes]] = {}
    if snapshot.alpha is not None:
        files["alpha.png"] = lambda: png_bytes(snapshot.alpha)
    for version, entry in zip(snapshot.versions, entries):
        files[entry["image"]] = lambda v=version: image_to_png_bytes(v.image)
        for step, step_entry in zip(version.steps, entry["steps"]):
            files[step_entry["region"]] = lambda s=step: mask_to_png_bytes(s.region)
            files[step_entry["changed"]] = lambda s=step: mask_to_png_bytes(s.changed)
    return files


def version_entry(version: Version) -> dict:
    stem = f"v{version.number:03d}-{version.uid}"
    return {
        "number": version.number, "kind": version.kind, "uid": version.uid, "instruction": version.instruction,
        "created": version.created, "image": f"{stem}.png", "parent": version.parent,
        "steps": [{"command": step.command.model_dump(), "prompt": step.prompt, "chosen": step.chosen,
                   "candidates": list(step.candidates), "seed": step.seed, "model_ids": step.model_ids,
                   "timings": step.timings, "region": f"{stem}-s{i}-region.png",
                   "changed": f"{stem}-s{i}-changed.png"} for i, step in enumerate(version.steps, start=1)],
    }


def png_bytes(image: Image.Image) -> bytes:
    """PNG file bytes of `image` in its own mode (the alpha mask: mode "L")."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def read_version(folder: Path, entry: dict) -> Version:
    steps = tuple(Step(command=EditCommand.model_validate(s["command"]),
                       region=np.asarray(read_png(folder, s["region"], "1"), dtype=bool),
                       changed=np.asarray(read_png(folder, s["changed"], "1"), dtype=bool),
                       prompt=s["prompt"], chosen=s.get("chosen"), candidates=tuple(s.get("candidates", ())),
                       seed=int(s["seed"]), model_ids=dict(s.get("model_ids", {})),
                       timings={k: float(v) for k, v in s.get("timings", {}).items()})
                  for s in entry["steps"])
    return Version(number=int(entry["number"]), kind=entry["kind"], image=read_png(folder, entry["image"], "RGB"),
                   instruction=str(entry.get("instruction", "")), steps=steps,
                   created=float(entry.get("created", 0.0)), uid=str(entry["uid"]),
                   parent=None if entry.get("parent") is None else int(entry["parent"]))


def read_png(folder: Path, name: str, mode: str) -> Image.Image:
    """A picture of the session folder, by a name the manifest gives (checked: only our own files)."""
    if not isinstance(name, str) or not OUR_FILE.match(name):
        raise damaged(folder.name, f"the manifest names an unexpected file {str(name)[:80]!r}")
    try:
        with Image.open(folder / name) as image:
            image.load()
            return image.convert(mode)
    except (OSError, ValueError) as error:
        raise damaged(folder.name, f"{name} cannot be read ({error})") from error


def tidy(folder: Path, names: set[str]) -> None:
    """Remove pictures of versions no longer in the history and temporary files of a save that was
    killed. Best effort: the manifest is already written, so a file that cannot go now goes next time."""
    try:
        for path in folder.iterdir():
            stale = OUR_FILE.match(path.name) and path.name not in names
            if not stale and OUR_TEMP.match(path.name):
                stale = time.time() - path.stat().st_mtime > STALE_TEMP_SECONDS
            if stale:
                path.unlink(missing_ok=True)
    except OSError as error:
        logger.warning("could not tidy %s: %s", folder, error)


def damaged(session_id: str, why: str) -> StorageError:
    why = " ".join(why.split())  # one line: library errors (pydantic, json) span several
    why = why if len(why) <= 160 else why[:159] + "…"
    return StorageError(f"The saved session {session_id} is damaged: {why}. It was left as it is.",
                        zh=f"保存的会话 {session_id} 已损坏：{why}。文件保持原样，未做改动。")
