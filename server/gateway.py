"""The ingress: HTTP API v1 (FastAPI, OpenAPI at /docs) running the embedded Sessions over the model
deployments' handles.

    app = build_app(preset="tiny", config=load_config(None), data_dir=Path("sessions"))
    serve.run(app, name="edit-everything", route_prefix="/")

Every answer is JSON (pictures are PNG, the export a zip, progress Server-Sent Events); every error
is {"error": code, "message": one line} in the session's language (else Accept-Language) with its
status (server/errors.py). A turn runs in a thread of the gateway, so its model calls block only it.
"""

import asyncio
import hmac
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from ray import serve
from starlette.exceptions import HTTPException

from agent.session.store import SessionStore
from server.config import ServeConfig
from server.errors import UnknownVersionError, status_of, too_large
from server.events import event_stream
from server.remote import RemoteModels
from server.service import SessionService
from server.wire import (
    NEW_SESSION_BODIES,
    Goto,
    Message,
    NewSessionFromWords,
    Pick,
    Regenerate,
    Select,
    SessionOptions,
    error_body,
    reply_body,
    session_body,
)
from server.workers import InpaintWorker, RankWorker, SegmentWorker, worker_environment
from tools.errors import EditError
from tools.images import image_to_png_bytes
from tools.language import detect_language
from tools.masks import mask_to_png_bytes, overlay
from tools.presets import Preset

logger = logging.getLogger("edit-everything.server")
api = FastAPI(title="Edit Everything", version="1", description="Chat-driven image editing sessions.")
JSON_LIMIT = 64 * 1024
_STATE: dict = {}  # this replica's gateway (one per process): the middleware and handlers read it


def register(gateway) -> None:
    """Make `gateway` the one the middleware reads. Called from `Gateway.__init__`, which Serve ships
    by value (a copy of this module's globals): only a module function reaches the real `_STATE`."""
    _STATE["gateway"] = gateway


def language_of(request: Request) -> str:
    """The session's language when the path names a known one, else Accept-Language (default zh)."""
    gateway = _STATE.get("gateway")
    session_id = request.path_params.get("session_id") if hasattr(request, "path_params") else None
    if gateway is not None and session_id:
        with gateway.service._lock:
            session = gateway.service._open.get(session_id)
        if session is not None:
            return session.language
    accepted = request.headers.get("accept-language", "").lower()
    return "en" if accepted and not accepted.startswith("zh") else "zh"


def fail(request: Request, kind: str, message: str, status: int | None = None) -> JSONResponse:
    return JSONResponse(error_body(kind, message), status_code=status or status_of(kind))


@api.exception_handler(EditError)
async def _edit_error(request: Request, error: EditError):
    return fail(request, error.kind, error.message_for(language_of(request)))


@api.exception_handler(RequestValidationError)
async def _schema_error(request: Request, error: RequestValidationError):
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        zh = language_of(request) == "zh"
        return fail(request, "bad_json", "请求不是有效的 JSON。" if zh else "The request body is not valid JSON.")
    first = problems[0] if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
    return fail(request, "schema", f"{where}: {first.get('msg', 'invalid')}")


@api.exception_handler(HTTPException)
async def _http_error(request: Request, error: HTTPException):
    kind = {404: "unknown_route", 405: "method_not_allowed"}.get(error.status_code, "error")
    return fail(request, kind, str(error.detail), error.status_code)


@api.exception_handler(Exception)
async def _bug(request: Request, error: Exception):
    logger.exception("internal error on %s", request.url.path)
    zh = language_of(request) == "zh"
    return fail(request, "internal", "服务器内部出错；详情已写入日志。" if zh
                else "Internal error; the details are in the log.")


@api.middleware("http")
async def _guard(request: Request, call_next):
    """The API key (when the server has one) and the body size limit, before anything is read."""
    gateway = _STATE.get("gateway")
    if gateway is not None and gateway.api_key:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {gateway.api_key}".encode()):
            zh = language_of(request) == "zh"
            return fail(request, "unauthorized", "需要有效的 API 密钥（Authorization: Bearer …）。" if zh
                        else "A valid API key is required (Authorization: Bearer ...).")
    limit = gateway.max_upload_bytes + JSON_LIMIT if gateway is not None else JSON_LIMIT
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        error = too_large(limit)
        return fail(request, error.kind, error.message_for(language_of(request)))
    return await call_next(request)


def parsed(model, data):
    """`data` (JSON bytes or form fields) as the pydantic `model`; a mismatch answers 422 like FastAPI's."""
    try:
        return model.model_validate_json(data) if isinstance(data, bytes) else model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None


def created_body(session) -> dict:
    return {"id": session.id, "version": session.pointer, "versions": len(session.versions),
            "size": list(session.image.size), "language": session.language}


def png(data: bytes) -> Response:
    return Response(data, media_type="image/png")


@serve.deployment(name="gateway")
@serve.ingress(api)
class Gateway:
    """The API replica: a SessionService over RemoteModels (the model deployments' handles)."""

    def __init__(self, preset: str | Preset, handles: dict, data_dir: str, environment: dict[str, str], *,
                 api_key: str = "", max_upload_bytes: int = 50 * 1024 * 1024, turn_threads: int = 64):
        import os

        from tools.models import load_models

        os.environ.update(environment)
        self.preset, self.handles, self.api_key = getattr(preset, "name", preset), handles, api_key
        self.max_upload_bytes = max_upload_bytes
        self.models = RemoteModels.connect(load_models(preset), handles)
        self.service = SessionService(self.models, SessionStore(data_dir), max_upload_bytes=max_upload_bytes)
        self.pool = ThreadPoolExecutor(max_workers=turn_threads, thread_name_prefix="turn")
        register(self)

    async def _run(self, function, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(self.pool, partial(function, *args, **kwargs))

    async def _turn(self, session_id: str, action: str, *args, seed: int | None = None, **kwargs):
        reply = await self._run(self.service.turn, session_id, action, *args, seed=seed, **kwargs)
        status, body = reply_body(reply, self.service.session(session_id))
        return JSONResponse(body, status_code=status)

    @api.get("/v1/health")
    async def health(self):
        try:
            await asyncio.wait_for(asyncio.gather(*(h.ready.remote() for h in self.handles.values())), 10)
        except Exception as error:  # a worker still loading or lost
            logger.warning("health: %s", type(error).__name__)
            return JSONResponse({"status": "unavailable", "preset": self.preset}, status_code=503)
        return {"status": "ok", "preset": self.preset, "models": sorted(self.handles)}

    @api.post("/v1/sessions", status_code=201, openapi_extra=NEW_SESSION_BODIES)
    async def create(self, request: Request):
        """A photo (multipart `image`, options as form fields) or words (JSON `{"text": "画一张…"}`)."""
        if request.headers.get("content-type", "").startswith("application/json"):
            words = parsed(NewSessionFromWords, await request.body())
            try:
                session = await self._run(self.service.create_from_words, words.text, settings=words.settings())
            except EditError as error:  # refused in the words' language (or the one asked for)
                language = words.language if words.language in ("zh", "en") else detect_language(words.text)
                return fail(request, error.kind, error.message_for(language))
            _, reply = reply_body(session.opening, session)
            return JSONResponse({**created_body(session), "reply": reply}, status_code=201)
        form = await request.form()
        image = form.get("image")
        if not hasattr(image, "read"):
            raise RequestValidationError([{"type": "missing", "loc": ("body", "image"),
                                           "msg": "a photo (multipart 'image') or JSON {\"text\": ...} is required"}])
        options = parsed(SessionOptions, {k: v for k, v in form.items() if k != "image"})
        data = await image.read(self.max_upload_bytes + 1)
        session = await self._run(self.service.create, data, settings=options.settings())
        return JSONResponse(created_body(session), status_code=201)

    @api.post("/v1/sessions/{session_id}/messages")
    async def message(self, session_id: str, body: Message):
        return await self._turn(session_id, "send", body.text, point=body.point, box=body.box, seed=body.seed)

    @api.post("/v1/sessions/{session_id}/pick")
    async def pick(self, session_id: str, body: Pick):
        return await self._turn(session_id, "pick", body.number, point=body.point, position=body.position,
                                all=body.all)

    @api.post("/v1/sessions/{session_id}/undo")
    async def undo(self, session_id: str):
        return await self._turn(session_id, "undo")

    @api.post("/v1/sessions/{session_id}/redo")
    async def redo(self, session_id: str):
        return await self._turn(session_id, "redo")

    @api.post("/v1/sessions/{session_id}/reset")
    async def reset(self, session_id: str):
        return await self._turn(session_id, "reset")

    @api.post("/v1/sessions/{session_id}/regenerate")
    async def regenerate(self, session_id: str, body: Regenerate | None = None):
        return await self._turn(session_id, "regenerate", seed=body.seed if body else None)

    @api.post("/v1/sessions/{session_id}/goto")
    async def goto(self, session_id: str, body: Goto):
        return await self._turn(session_id, "goto", body.version)

    @api.post("/v1/sessions/{session_id}/select")
    async def select(self, session_id: str, body: Select, format: Literal["overlay", "mask"] = "overlay"):
        session = self.service.session(session_id)
        mask = await self._run(session.region, point=body.point, box=body.box)
        return png(mask_to_png_bytes(mask) if format == "mask" else image_to_png_bytes(overlay(session.image, mask)))

    @api.get("/v1/sessions/{session_id}")
    async def show(self, session_id: str):
        return session_body(self.service.session(session_id))

    @api.get("/v1/sessions/{session_id}/image")
    async def image(self, session_id: str):
        session = self.service.session(session_id)
        return png(image_to_png_bytes(session.image, session.alpha))

    @api.get("/v1/sessions/{session_id}/versions/{number}.png")
    async def version(self, session_id: str, number: int):
        session = self.service.session(session_id)
        versions = session.versions
        if not 0 <= number < len(versions):
            raise UnknownVersionError(f"There is no version {number}; this session has 0 to {len(versions) - 1}.",
                            zh=f"没有第 {number} 版；这个会话有第 0 到第 {len(versions) - 1} 版。")
        return png(image_to_png_bytes(versions[number].image, session.alpha))

    @api.get("/v1/sessions/{session_id}/versions/{number}/mask.png")
    async def version_mask(self, session_id: str, number: int):
        """The pixels version `number`'s edits were allowed to change (1-bit PNG, white = changed)."""
        session = self.service.session(session_id)
        versions = session.versions
        mask = versions[number].mask if 0 <= number < len(versions) else None
        if mask is None:
            raise UnknownVersionError(f"Version {number} has no edited region.", zh=f"第 {number} 版没有编辑过的区域。")
        return png(mask_to_png_bytes(mask))

    @api.get("/v1/sessions/{session_id}/export")
    async def export(self, session_id: str):
        session = self.service.session(session_id)
        with tempfile.TemporaryDirectory() as folder:
            path = await self._run(session.export, Path(folder) / f"{session.id}.zip")
            data = path.read_bytes()
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{session.id}.zip"'})

    @api.delete("/v1/sessions/{session_id}", status_code=204)
    async def delete(self, session_id: str):
        await self._run(self.service.delete, session_id)
        return Response(status_code=204)

    @api.get("/v1/sessions/{session_id}/events")
    async def events(self, session_id: str):
        running = self.service.running(session_id)
        return StreamingResponse(event_stream(running), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})


def build_app(*, preset: str | Preset, config: ServeConfig, data_dir: Path, api_key: str = ""):
    """The Ray Serve application: the gateway bound to one SAM, one CLIP per ranker and one SD per
    inpainter component of `preset` (a preset name, or a `Preset` whose sources every replica can
    read), shaped by `config`."""
    from tools.models import load_models

    models = load_models(preset)
    environment = worker_environment()
    threads = config.torch_threads
    handles = {"sam": SegmentWorker.options(**config.deployment_options("sam")).bind(preset, environment, threads)}
    for component in dict.fromkeys(models.preset.rankers.values()):
        handles[component] = RankWorker.options(name=component, **config.deployment_options("clip")).bind(
            preset, component, environment, batch_size=config.batch_size, batch_wait_s=config.batch_wait_s,
            torch_threads=threads)
    for component in dict.fromkeys(models.preset.inpainters.values()):
        handles[component] = InpaintWorker.options(name=component, **config.deployment_options("sd")).bind(
            preset, component, environment, torch_threads=threads)
    return Gateway.options(**config.deployment_options("gateway")).bind(
        preset, handles, str(data_dir), environment, api_key=api_key, max_upload_bytes=config.max_upload_bytes)


__all__ = ["Gateway", "api", "build_app"]
