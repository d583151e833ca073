"""The seam: the `Models` interface with its tools reached through Ray Serve deployment handles.

    models = RemoteModels.connect(load_models("tiny"), handles)   # handles: {"sam": h, "clip_zh": h, ...}
    editor = Editor(models)                                      # the same Editor, Session and parser

Each proxy is the tool's own class with only its model call replaced by a handle call, so everything
around the model (the segment cache and carry-over, crop caches, the crop window, the paste) is the
embedded code, run in the ingress:
- `RemoteSegmenter` keeps the segment cache here (a follow-up turn on unchanged pixels reuses the
  carried segments and calls no worker at all); a click or box goes to the SAM replica that already
  holds that picture's embedding (calls are routed by the picture's content key).
- `RemoteRanker` keeps text and crop features here; new crops go to the batched CLIP deployment.
- `RemoteInpainter` runs `Inpainter.inpaint` here and only `_run` (the pipeline) on an SD replica,
  streaming the steps back as progress.
A lost worker (its replica killed) is retried once with the same arguments (the same seed); a second
loss is a `ModelUnavailableError`, which the API answers with 503.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from server.packing import unpack_segments
from tools.errors import EditError, ModelUnavailableError
from tools.inpaint import Inpainter
from tools.models import Models
from tools.rank import ClipScorer
from tools.segment import Segmenter, as_array, image_key

logger = logging.getLogger("edit-everything.server")
CALL_TIMEOUT_S = 600.0


def worker_lost(component: str) -> ModelUnavailableError:
    return ModelUnavailableError(f"The {component} worker was lost; please try again.",
                                 zh=f"{component} 模型进程中断了；请再试一次。")


def call(component: str, attempt: Callable[[], object]):
    """`attempt()` (a handle call), once more if its replica died; an EditError raised in the worker
    reaches the caller as itself; any other failure is a ModelUnavailableError."""
    import ray.exceptions as errors

    for tries in (1, 2):
        try:
            return attempt()
        except EditError:
            raise
        except errors.RayTaskError as error:
            if isinstance(getattr(error, "cause", None), EditError):
                raise error.cause from None
            logger.exception("%s worker failed", component)
            raise worker_lost(component) from error
        except (errors.RayActorError, errors.ActorUnavailableError, errors.RayError) as error:
            logger.warning("%s worker lost (try %d): %s", component, tries, type(error).__name__)
            if tries == 2:
                raise worker_lost(component) from error
        except Exception as error:  # the handle itself failed (serve shut down, ...)
            logger.exception("%s call failed", component)
            raise worker_lost(component) from error


class RemoteSegmenter(Segmenter):
    """`Segmenter` whose SAM runs in the "sam" deployment; the segment cache is the inherited one."""

    def __init__(self, handle, *, model_id: str, auto, cache_size: int = 32):
        self.handle, self.model_id, self.auto, self.dtype = handle, model_id, auto, None
        self.encoder_calls = 0  # counted by the workers (their `stats`)
        self.worker_calls = 0
        self._segments: OrderedDict[tuple, list] = OrderedDict()
        self._carried: set[tuple] = set()
        self._cache_size = cache_size
        self._lock = threading.RLock()

    def _routed(self, key: str):
        return self.handle.options(multiplexed_model_id=key)

    def all_segments(self, image, points_per_side: int | None = None, *, fresh: bool = False) -> list:
        array = as_array(image)
        points = points_per_side or self.auto.points_per_side
        key = (image_key(array), points)
        with self._lock:
            if key in self._segments and not (fresh and key in self._carried):
                self._segments.move_to_end(key)
                return self._segments[key]
        self.worker_calls += 1  # outside the lock: other sessions' pictures go to other replicas meanwhile
        packed = call("SAM", lambda: self._routed(key[0]).all_segments.remote(array, points).result(
            timeout_s=CALL_TIMEOUT_S))
        segments = unpack_segments(packed)
        with self._lock:
            self._carried.discard(key)
            self._remember(key, segments)
        return segments

    def _predict(self, array: np.ndarray, point_coords=None, point_labels=None, box=None,
                 multimask_output: bool = True):
        prompt = dict(point_coords=point_coords, point_labels=point_labels, box=box,
                      multimask_output=multimask_output)
        self.worker_calls += 1
        packed = call("SAM", lambda: self._routed(image_key(array)).predict.remote(array, prompt).result(
            timeout_s=CALL_TIMEOUT_S))
        return unpack_segments(packed)[0]


class RemoteRanker(ClipScorer):
    """`ClipScorer` whose CLIP runs in a "clip_*" deployment (crops batched there across requests)."""

    def __init__(self, handle, *, model_id: str, component: str):
        super().__init__(None, None, model_id=model_id)
        self.handle, self.component = handle, component
        self._texts_lock = threading.Lock()

    def _encode_images(self, crops) -> np.ndarray:
        return call("CLIP", lambda: self.handle.encode.remote(list(crops)).result(timeout_s=CALL_TIMEOUT_S))

    def text_features(self, texts) -> np.ndarray:
        with self._texts_lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if missing:
            rows = call("CLIP", lambda: self.handle.texts.remote(missing).result(timeout_s=CALL_TIMEOUT_S))
            with self._texts_lock:
                self._texts.update(zip(missing, rows))
        return np.stack([self._texts[t] for t in texts])


class RemoteInpainter(Inpainter):
    """`Inpainter` whose pipeline runs in an "sd_*" deployment; crop, resize and paste run here."""

    def __init__(self, handle, *, model_id: str):
        self.handle, self.model_id, self.unet_calls = handle, model_id, 0

    def _run(self, prompt, negative, image, mask, width, height, settings, on_step, *, strength: float) -> object:
        def attempt():
            picture = None
            stream = self.handle.options(stream=True).run.remote(prompt, negative, image, mask, width, height,
                                                                 settings, strength=strength)
            for event in stream:
                if event[0] == "step" and on_step is not None:
                    on_step(event[1], event[2])
                elif event[0] == "image":
                    picture = event[1]
            if picture is None:
                raise ModelUnavailableError("The diffusion worker returned no picture.",
                                            zh="扩散模型没有返回图片。")
            return picture

        return call("Stable Diffusion", attempt)


@dataclass
class RemoteModels(Models):
    """A preset's models as deployment handles (`handles`: component → DeploymentHandle); the rest of
    `Models` (preset, ids, components) is the embedded object's."""

    handles: dict = field(default_factory=dict)

    @classmethod
    def connect(cls, models: Models, handles: dict) -> "RemoteModels":
        return cls(preset=models.preset, device=models.device, handles=handles)

    def is_loaded(self, component: str) -> bool:
        return component in self.handles

    def segmenter(self) -> Segmenter:
        return self._once("sam", lambda: RemoteSegmenter(self.handles["sam"], model_id=self.model_id("sam"),
                                                         auto=self.preset.auto))

    def ranker(self, language: str) -> ClipScorer:
        component = self.ranker_component(language)
        return self._once(component, lambda: RemoteRanker(self.handles[component], component=component,
                                                          model_id=self.model_id(component)))

    def inpainter(self, language: str) -> Inpainter:
        component = self.inpainter_component(language)
        return self._once(component, lambda: RemoteInpainter(self.handles[component],
                                                             model_id=self.model_id(component)))
