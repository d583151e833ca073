"""A `Session` over HTTP: the same calls and replies, the work done by an `edit-everything serve`.

    session = HttpSession.create("http://127.0.0.1:8000", load_image("photo.jpg"), seed=7)
    reply = session.send("把猫换成狗", on_progress=print)     # agent.session.reply.Reply, as embedded
    session.image; session.versions; session.undo(); session.export("s.zip")
    session.log; session.history.can_undo; session.pending; session.region(point=(80, 50))  # what a page reads

Progress comes from the event stream (GET …/events) while the turn runs. Errors the server answers
are the replies' `error`/`text` (as embedded); a server that cannot be reached is a ModelUnavailableError.
"""
from __future__ import annotations

import io
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from agent.edit_types import Progress
from agent.session.reply import CandidateView, Reply, overview, thumbnail
from agent.session.store import SESSION_ID
from agent.session.version import LogEntry
from tools.errors import BadInputError, ModelUnavailableError, StorageError
from tools.images import LoadedImage, image_to_png_bytes, to_rgb_and_alpha

SERVER_ENV = "EDIT_EVERYTHING_SERVER"
API_KEY_ENV = "EDIT_EVERYTHING_API_KEY"


@dataclass(frozen=True, eq=False)
class VersionView:
    """What a client sees of a version: its number, kind, instruction and seed; `image` (PIL RGB) and
    `mask` (bool HxW, the pixels its edits could change; None for one without edits) load on first use."""

    number: int
    kind: str
    instruction: str
    seed: int | None
    model_ids: dict
    timings: dict
    uid: str = ""
    edited: bool = False
    owner: "HttpSession | None" = field(default=None, repr=False)

    @property
    def image(self) -> Image.Image:
        return self.owner.picture(self)

    @property
    def mask(self) -> np.ndarray | None:
        return self.owner.edited_mask(self) if self.edited else None


@dataclass(frozen=True)
class HistoryView:
    """Which history buttons apply now, as the server says (like agent.session.history.History)."""

    can_undo: bool
    can_redo: bool
    can_reset: bool
    can_regenerate: bool


@dataclass(frozen=True)
class PendingView:
    """A pick the server waits for (the numbered candidates are in the last reply)."""

    version: int


class HttpSession:
    """One server-side session, driven like `agent.session.Session`."""

    def __init__(self, url: str, session_id: str, *, api_key: str | None = None, timeout: float = 900,
                 accept_language: str | None = None):
        import httpx

        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):  # never a path trick in a URL
            shown = "".join(ch if ch.isprintable() else "?" for ch in str(session_id)[:80])
            raise BadInputError(f"'{shown}' is not a session id.", zh=f"“{shown}”不是有效的会话编号。")
        self.url, self.id = url.rstrip("/"), session_id
        headers = {**auth(api_key), **({"accept-language": accept_language} if accept_language else {})}
        self.client = httpx.Client(base_url=self.url, timeout=timeout, headers=headers)
        self._pictures: dict[str, Image.Image] = {}  # version uid → picture (versions never change)
        self._masks: dict[str, np.ndarray] = {}
        self._image: Image.Image | None = None
        self.alpha: Image.Image | None = None
        self._state: dict = {}
        self.opening: Reply | None = None  # like Session: the drawing's reply of a session made from words
        self.refresh()

    @classmethod
    def create(cls, url: str, image: Image.Image | LoadedImage, *, steps: int | None = None, guidance: float = 7.5,
               seed: int = 0, language: str = "zh", interactive: bool = True,
               api_key: str | None = None) -> "HttpSession":
        """A new server-side session over `image` (PIL, or a LoadedImage with its alpha)."""
        rgb, alpha = (image.rgb, image.alpha) if isinstance(image, LoadedImage) else to_rgb_and_alpha(image)
        fields = {"guidance": str(guidance), "seed": str(seed), "language": language,
                  "interactive": str(interactive).lower()}
        if steps is not None:
            fields["steps"] = str(steps)
        files = {"image": ("photo.png", image_to_png_bytes(rgb, alpha), "image/png")}
        body = post_new_session(url, api_key, timeout=120, data=fields, files=files)
        return cls(url, body["id"], api_key=api_key)

    @classmethod
    def from_words(cls, url: str, text: str, *, steps: int | None = None, guidance: float = 7.5, seed: int = 0,
                   language: str | None = None, interactive: bool = True,
                   api_key: str | None = None) -> "HttpSession":
        """A new server-side session whose version 0 is drawn from `text` ("画一张海边日落的图片"); its
        reply is `.opening`, as `Session.from_words`. Raises BadInputError with the server's one line
        when `text` asks for no picture (nothing is made then)."""
        body = post_new_session(url, api_key, timeout=900, json={
            "text": text, "steps": steps, "guidance": guidance, "seed": seed, "language": language,
            "interactive": interactive})
        session = cls(url, body["id"], api_key=api_key)
        session.opening = session._reply(body["reply"], before=None)
        return session

    # ------------------------------------------------------------------------------ reading
    def refresh(self) -> None:
        self._state = self._get_json(f"/v1/sessions/{self.id}")
        self._image = None

    @property
    def language(self) -> str:
        return self._state.get("language", "zh")

    @property
    def pointer(self) -> int:
        return self._state["version"]

    @property
    def versions(self) -> tuple[VersionView, ...]:
        return tuple(VersionView(v["number"], v["kind"], v["instruction"], v["seed"], v.get("model_ids", {}),
                                 v.get("timings", {}), v.get("uid", ""), v.get("edited", False), self)
                     for v in self._state["versions"])

    @property
    def current(self) -> VersionView:
        return self.versions[self.pointer]

    @property
    def image(self) -> Image.Image:
        """The current picture (PIL RGB); `alpha` its transparency (mode L) or None."""
        if self._image is None:
            picture = Image.open(io.BytesIO(self._get(f"/v1/sessions/{self.id}/image").content))
            picture.load()
            self._image, self.alpha = to_rgb_and_alpha(picture)
        return self._image

    @property
    def history(self) -> HistoryView:
        can, last = self._state.get("can", {}), len(self._state["versions"]) - 1
        return HistoryView(can.get("undo", self.pointer > 0), can.get("redo", self.pointer < last),
                           can.get("reset", False), can.get("regenerate", False))

    @property
    def pending(self) -> PendingView | None:
        """The pick the server waits for, or None."""
        return PendingView(self.pointer) if self._state.get("waiting") else None

    @property
    def log(self) -> tuple[LogEntry, ...]:
        """The conversation, one entry per turn (`shows` names a version by its uid, as embedded)."""
        return tuple(LogEntry(e["kind"], e["said"], e["reply"], e["version"], e.get("number"), e.get("shows"),
                              e.get("made", False)) for e in self._state.get("log", []))

    def picture(self, version: VersionView) -> Image.Image:
        """`version`'s picture (PIL RGB), fetched once."""
        if version.uid not in self._pictures:
            data = self._get(f"/v1/sessions/{self.id}/versions/{version.number}.png").content
            self._pictures[version.uid] = to_rgb_and_alpha(Image.open(io.BytesIO(data)))[0]
        return self._pictures[version.uid]

    def edited_mask(self, version: VersionView) -> np.ndarray:
        """bool HxW: the pixels `version`'s edits could change, fetched once."""
        if version.uid not in self._masks:
            self._masks[version.uid] = png_mask(self._get(f"/v1/sessions/{self.id}/versions/{version.number}/mask.png"))
        return self._masks[version.uid]

    def region(self, *, point=None, box=None) -> np.ndarray:
        """SAM's mask (bool HxW) of the current picture under a click (x, y) or a box (x0, y0, x1, y1)."""
        body = {"point": list(point) if point else None, "box": list(box) if box else None}
        try:
            answer = self.client.post(f"/v1/sessions/{self.id}/select", params={"format": "mask"}, json=body)
        except Exception as error:  # noqa: BLE001 - httpx errors: the server is gone
            raise unreachable(self.url) from error
        if answer.status_code != 200:
            raise answered(answer)
        return png_mask(answer)

    def export(self, path: str | Path) -> Path:
        path = Path(path)
        if path.exists():
            raise StorageError(f"{path} exists already.", zh=f"{path} 已经存在。")
        path.write_bytes(self._get(f"/v1/sessions/{self.id}/export").content)
        return path

    # -------------------------------------------------------------------------------- turns
    def send(self, text: str, *, point=None, box=None, on_progress=None) -> Reply:
        body = {"text": text, "point": list(point) if point else None, "box": list(box) if box else None}
        return self._turn("messages", body, on_progress)

    def pick(self, number: int | None = None, *, point=None, position: str | None = None, all: bool = False,
             on_progress=None) -> Reply:
        return self._turn("pick", {"number": number, "point": list(point) if point else None,
                                   "position": position, "all": all}, on_progress)

    def undo(self) -> Reply:
        return self._turn("undo", None)

    def redo(self) -> Reply:
        return self._turn("redo", None)

    def reset(self) -> Reply:
        return self._turn("reset", None)

    def regenerate(self, on_progress=None) -> Reply:
        return self._turn("regenerate", None, on_progress)

    def goto(self, number: int) -> Reply:
        return self._turn("goto", {"version": number})

    def _turn(self, action: str, body: dict | None, on_progress=None) -> Reply:
        before = self.image
        listener = self._listen(on_progress) if on_progress is not None else None
        try:
            answer = self.client.post(f"/v1/sessions/{self.id}/{action}", json=body)
        except Exception as error:  # noqa: BLE001 - httpx errors: the server is gone
            raise unreachable(self.url) from error
        finally:
            if listener is not None:
                listener.join(timeout=5)
        data = json_of(answer)
        self.refresh()
        if answer.status_code != 200:
            return Reply(kind="error", text=data.get("message", ""), language=self.language, image=self.image,
                         version=self.pointer, versions=len(self.versions), error=data.get("error", "error"))
        return self._reply(data, before)

    def _reply(self, data: dict, before: Image.Image | None) -> Reply:
        after = self.image
        changed = None
        if before is not None and after.size == before.size:
            diff = (np.asarray(after) != np.asarray(before)).any(axis=2)
            changed = diff if diff.any() else None
        views = []
        for c in data.get("candidates", []):
            mask = np.zeros((after.height, after.width), dtype=bool)
            x0, y0, x1, y1 = c["box"]
            mask[y0:y1, x0:x1] = True
            views.append(CandidateView(c["number"], tuple(c["box"]), c["score"], mask,
                                       thumbnail(after, mask, tuple(c["box"]), (230, 159, 0))))
        progress = tuple(Progress(p["stage"], p["done"], p["total"]) for p in data.get("progress", []))
        return Reply(kind=data["kind"], text=data["text"], language=data["language"], image=after, changed=changed,
                     candidates=tuple(views), overview=overview(after, views) if views else None,
                     progress=progress, version=data["version"], versions=data["versions"],
                     error=data.get("error"), saved=data.get("saved"))

    def _listen(self, on_progress) -> threading.Thread:
        """A thread that follows the event stream of the turn about to run and calls `on_progress`."""
        def follow() -> None:
            import httpx

            try:
                with httpx.Client(base_url=self.url, headers=self.client.headers, timeout=900) as client:
                    for _ in range(40):  # until the turn has started (its first event), then to its end
                        with client.stream("GET", f"/v1/sessions/{self.id}/events") as stream:
                            for line in stream.iter_lines():
                                if line.startswith("data:") and '"stage"' in line:
                                    event = json.loads(line[5:])
                                    on_progress(Progress(event["stage"], event["done"], event["total"],
                                                         event.get("command", 1), event.get("commands", 1)))
                                elif line.startswith("event: end"):
                                    return
                        threading.Event().wait(0.05)
            except Exception:  # noqa: BLE001 - progress is a courtesy; the turn's answer still comes
                return

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        return thread

    def _get(self, path: str):
        try:
            answer = self.client.get(path)
        except Exception as error:  # noqa: BLE001 - httpx errors: the server is gone
            raise unreachable(self.url) from error
        if answer.status_code != 200:
            raise answered(answer)
        return answer

    def _get_json(self, path: str) -> dict:
        return self._get(path).json()


def post_new_session(url: str, api_key: str | None, *, timeout: float, **request) -> dict:
    """POST /v1/sessions with `request` (httpx keywords: data/files or json); the 201 body, else the
    server's one-line refusal as a BadInputError (a server out of reach: ModelUnavailableError)."""
    import httpx

    try:
        answer = httpx.post(f"{url.rstrip('/')}/v1/sessions", headers=auth(api_key), timeout=timeout, **request)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        raise unreachable(url) from error
    if answer.status_code != 201:
        message = body.get("message", answer.text) if isinstance(body, dict) else answer.text
        raise BadInputError(message, zh=message)
    return body


def auth(api_key: str | None) -> dict[str, str]:
    """The Authorization header for `api_key` (default: $EDIT_EVERYTHING_API_KEY), or none."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")
    return {"authorization": f"Bearer {key}"} if key else {}


def unreachable(url: str) -> ModelUnavailableError:
    return ModelUnavailableError(f"Cannot reach the server at {url}.", zh=f"无法连接服务器 {url}。")


def json_of(answer) -> dict:
    """The JSON body of `answer`, or {"error", "message"} for one that is not JSON (a proxy's page)."""
    try:
        data = answer.json()
    except ValueError:
        return {"error": "error", "message": f"The server answered {answer.status_code} without an explanation."}
    return data if isinstance(data, dict) else {}


def answered(answer) -> StorageError:
    """The error a non-200 answer carries, as one line (the server's, in its language)."""
    message = json_of(answer).get("message") or f"The server answered {answer.status_code}."
    return StorageError(message, zh=message)


def png_mask(answer) -> np.ndarray:
    """bool HxW from a black-and-white PNG answer (white = in the mask)."""
    return np.asarray(Image.open(io.BytesIO(answer.content)).convert("L")) > 127
