"""The model deployments: each replica loads its model once and serves every session's calls.

    SegmentWorker   SAM: automatic segments of a picture, the mask under a click or a box; calls are
                    routed by picture (multiplexed on its content key), so a picture's embedding is
                    computed once, on one replica, and reused by the clicks that follow
    RankWorker      CLIP (one per text language): crops from concurrent requests encoded together
                    (`@serve.batch`), text features
    InpaintWorker   Stable Diffusion (one pipeline per replica): a streaming call that yields the
                    denoising steps, then the picture

The tools' own code runs here (tools/segment.py, tools/rank.py, tools/inpaint.py); server/remote.py
is the other half of each call.
"""
from __future__ import annotations

import asyncio
import os

import numpy as np
from ray import serve

from server.packing import pack_segments
from tools.presets import COMPONENT_ENV, Preset

ENVIRONMENT = ("EDIT_EVERYTHING_CACHE", "EDIT_EVERYTHING_OFFLINE", "HF_HUB_OFFLINE", "EDIT_EVERYTHING_PRECISION",
               *COMPONENT_ENV.values())


def worker_environment() -> dict[str, str]:
    """The settings of this process a model worker must share (model cache, offline, precision, the
    EDIT_EVERYTHING_SAM / _CLIP_* / _SD_* model paths)."""
    return {key: os.environ[key] for key in ENVIRONMENT if key in os.environ}


def _load(preset: str | Preset, environment: dict[str, str], torch_threads: int | None):
    """The preset's `Models` in this replica (nothing loaded yet), with the caller's environment."""
    os.environ.update(environment)
    if torch_threads:
        import torch

        torch.set_num_threads(int(torch_threads))
    from tools.models import load_models

    return load_models(preset)


@serve.deployment(name="sam")
class SegmentWorker:
    """SAM behind `tools.segment.Segmenter` (its embedding and segment caches live here)."""

    def __init__(self, preset: str | Preset, environment: dict[str, str], torch_threads: int | None = None):
        self.segmenter = _load(preset, environment, torch_threads).segmenter()

    @serve.multiplexed(max_num_models_per_replica=16)
    async def _picture(self, key: str) -> str:
        """Serve's routing key: the picture's content digest ("loading" it costs nothing)."""
        return key

    async def all_segments(self, array: np.ndarray, points: int) -> dict:
        """Every segment of `array` (HxWx3 uint8), packed (server/packing.py)."""
        await self._picture(serve.get_multiplexed_model_id())
        segments = await asyncio.to_thread(self.segmenter.all_segments, array, points, fresh=True)
        return pack_segments(segments)

    async def predict(self, array: np.ndarray, prompt: dict) -> dict:
        """SAM's best mask for a point or box `prompt` (the arguments of `Segmenter._predict`)."""
        await self._picture(serve.get_multiplexed_model_id())
        segment = await asyncio.to_thread(self.segmenter._predict, array, **prompt)
        return pack_segments([segment])

    def stats(self) -> dict:
        return {"encoder_calls": self.segmenter.encoder_calls}

    def ready(self) -> bool:
        return True


@serve.deployment(name="clip")
class RankWorker:
    """A CLIP scorer (`tools.rank.ClipScorer`) for `component` ("clip_zh" or "clip_en")."""

    def __init__(self, preset: str | Preset, component: str, environment: dict[str, str], *, batch_size: int = 8,
                 batch_wait_s: float = 0.01, torch_threads: int | None = None):
        models = _load(preset, environment, torch_threads)
        language = next(lang for lang, name in models.preset.rankers.items() if name == component)
        self.scorer = models.ranker(language)
        self.encode.set_max_batch_size(batch_size)
        self.encode.set_batch_wait_timeout_s(batch_wait_s)
        self.batches: list[int] = []

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.01)
    async def encode(self, requests: list[list]) -> list[np.ndarray]:
        """Crops (lists of PIL RGB squares) of concurrent requests → one N×D array per request."""
        self.batches.append(len(requests))
        crops = [crop for request in requests for crop in request]
        features = await asyncio.to_thread(self.scorer.image_features, crops)
        out, start = [], 0
        for request in requests:
            out.append(features[start:start + len(request)])
            start += len(request)
        return out

    async def texts(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.scorer.text_features, texts)

    def stats(self) -> dict:
        """The batch sizes reached (requests per batch), newest last."""
        return {"batches": list(self.batches[-1000:])}

    def ready(self) -> bool:
        return True


@serve.deployment(name="sd")
class InpaintWorker:
    """One diffusers inpainting pipeline (`tools.inpaint.Inpainter`) for `component` ("sd_zh", "sd_en")."""

    def __init__(self, preset: str | Preset, component: str, environment: dict[str, str], *,
                 torch_threads: int | None = None):
        models = _load(preset, environment, torch_threads)
        language = next(lang for lang, name in models.preset.inpainters.items() if name == component)
        self.inpainter = models.inpainter(language)

    async def run(self, prompt: str, negative: str, image, mask, width: int, height: int, settings, *,
                  strength: float = 1.0):
        """`Inpainter._run` here: yields ("step", done, total) while denoising, then ("image", PIL RGB)."""
        loop = asyncio.get_running_loop()
        steps: asyncio.Queue = asyncio.Queue()

        def on_step(done: int, total: int) -> None:
            loop.call_soon_threadsafe(steps.put_nowait, ("step", done, total))

        job = asyncio.ensure_future(asyncio.to_thread(self.inpainter._run, prompt, negative, image, mask,
                                                      width, height, settings, on_step, strength=strength))
        while not job.done() or not steps.empty():
            waiter = asyncio.ensure_future(steps.get())
            await asyncio.wait({waiter, job}, return_when=asyncio.FIRST_COMPLETED)
            if waiter.done():
                yield waiter.result()
            else:
                waiter.cancel()
        yield ("image", job.result())

    def ready(self) -> bool:
        return True
