"""The API's own refusals (beside the project's EditError kinds) and the HTTP status of every kind."""
from __future__ import annotations

from tools.errors import BadInputError, EditError, NotFoundError

STATUS = {"bad_input": 400, "bad_json": 400, "unknown_session": 404, "unknown_version": 404, "too_large": 413,
          "not_an_image": 415,
          "schema": 422, "busy": 429, "unauthorized": 401, "model_unavailable": 503, "storage": 503,
          "internal": 500, "error": 500}
OK_KINDS = (None, "not_found", "nothing_to_do")  # a turn's normal answers: 200 with the reply


class UnknownSessionError(NotFoundError):
    kind = "unknown_session"


class UnknownVersionError(NotFoundError):
    kind = "unknown_version"


class TooLargeError(BadInputError):
    kind = "too_large"


class NotAnImageError(BadInputError):
    kind = "not_an_image"


class BusyError(EditError):
    kind = "busy"


def unknown_session(session_id: str) -> UnknownSessionError:
    shown = "".join(ch if ch.isprintable() else "?" for ch in str(session_id)[:80])
    return UnknownSessionError(f"There is no session '{shown}'.", zh=f"没有编号为“{shown}”的会话。")


def too_large(limit: int) -> TooLargeError:
    return TooLargeError(f"The request is too large; the limit is {limit // (1024 * 1024)} MB.",
                         zh=f"请求太大；上限是 {limit // (1024 * 1024)} MB。")


def busy() -> BusyError:
    return BusyError("This session is still working on the last message; wait for it, then send again.",
                     zh="这个会话还在处理上一条消息；请等它完成后再发送。")


def status_of(kind: str | None) -> int:
    """The HTTP status of an error kind (200 for a turn's normal answers)."""
    return 200 if kind in OK_KINDS else STATUS.get(kind or "error", 500)
