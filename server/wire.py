"""What the API sends: replies and sessions as JSON, errors as {"error": code, "message": one line}.

The request bodies are pydantic models here too, so /docs shows them.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent.edit_types import EditSettings
from agent.session.reply import Reply
from agent.session.session import Session
from server.errors import status_of
from server.service import SessionSettings

Point = tuple[float, float]
Box = tuple[float, float, float, float]


class SessionOptions(BaseModel):
    """POST /v1/sessions: how the session generates and answers. With a photo these are form fields
    beside the multipart `image`; with words, the JSON body also has `text` (NewSessionFromWords)."""

    model_config = ConfigDict(extra="forbid")
    steps: int | None = None  # None: the preset's default; ranges are checked with the editor's messages
    guidance: float = 7.5
    seed: int = 0
    language: str | None = Field(default=None, max_length=8)  # "zh" or "en"; None: zh, or the words'
    interactive: bool = True

    def settings(self) -> SessionSettings:
        return SessionSettings(EditSettings(steps=self.steps, guidance=self.guidance, seed=self.seed),
                               language=self.language, interactive=self.interactive)


class NewSessionFromWords(SessionOptions):
    """POST /v1/sessions as JSON: a session whose first picture is drawn from `text` ("画一张海边日落的图片")."""

    text: str = Field(max_length=2000)


NEW_SESSION_BODIES = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "string", "format": "binary", "description": "the photo"},
        **SessionOptions.model_json_schema()["properties"]}}},
    "application/json": {"schema": NewSessionFromWords.model_json_schema()}}}}


class Message(BaseModel):
    """POST /v1/sessions/{id}/messages: the text, and a click (x, y) or a box (x0, y0, x1, y1) in image pixels."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=2000)
    point: Point | None = None
    box: Box | None = None
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)


class Pick(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int | None = None
    point: Point | None = None
    position: str | None = Field(default=None, max_length=40)
    all: bool = False


class Goto(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int


class Regenerate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int | None = Field(default=None, ge=0, le=2**32 - 1)


class Select(BaseModel):
    """POST /v1/sessions/{id}/select (?format=overlay, the picture with the region tinted, or
    ?format=mask, the region itself as a black-and-white PNG): a click or a box in image pixels."""

    model_config = ConfigDict(extra="forbid")
    point: Point | None = None
    box: Box | None = None


def error_body(kind: str, message: str) -> dict:
    return {"error": kind, "message": " ".join(str(message).split())}


def reply_body(reply: Reply, session: Session) -> tuple[int, dict]:
    """(HTTP status, JSON) of a turn's reply: 200 with the reply, or the error's status with
    {"error", "message"} plus where the session stands."""
    status = status_of(reply.error)
    if status != 200:
        return status, {**error_body(reply.error or "error", reply.text), "version": reply.version,
                        "versions": reply.versions}
    current = session.current
    body = {"kind": reply.kind, "text": reply.text, "language": reply.language, "version": reply.version,
            "versions": reply.versions, "error": reply.error, "saved": reply.saved,
            "candidates": [{"number": c.number, "box": list(c.box), "score": round(c.score, 4)}
                           for c in reply.candidates],
            "timings": {k: round(v, 4) for k, v in current.timings.items()} if reply.kind == "edited" else {},
            "seed": current.seed if reply.kind == "edited" else None,
            "progress": [{"stage": p.stage, "done": p.done, "total": p.total} for p in reply.progress]}
    return 200, body


def session_body(session: Session) -> dict:
    """GET /v1/sessions/{id}: the versions, the pointer and the conversation."""
    versions = [{"number": v.number, "uid": v.uid, "kind": v.kind, "instruction": v.instruction, "seed": v.seed,
                 "size": list(v.image.size), "created": v.created, "model_ids": v.model_ids, "edited": bool(v.steps),
                 "timings": {k: round(t, 4) for k, t in v.timings.items()}} for v in session.versions]
    log = [{"kind": e.kind, "said": e.said, "reply": e.reply, "version": e.version, "number": e.number,
            "shows": e.shows, "made": e.made} for e in session.log]
    history = session.history
    can = {"undo": history.can_undo, "redo": history.can_redo, "reset": history.can_reset,
           "regenerate": history.can_regenerate}
    return {"id": session.id, "version": session.pointer, "language": session.language, "versions": versions,
            "log": log, "waiting": session.pending is not None, "can": can}
