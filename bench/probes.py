"""What the benchmark attaches to the models: forward-pass timers and realistic SAM segments.

`ForwardTimer` times every forward pass of the modules it watches (outermost call only), so a run
can say how much of its wall time is spent inside the models.

`RealisticSegments` makes random-weight SAM behave like trained SAM on a photo *in count*: the
image encoder, prompt encoder and mask decoder all run for real (their cost is what we measure),
but the decoder's outputs are replaced by the logits of a fixed superpixel map of the image being
segmented (SLIC, ~60 regions), and its IoU predictions by 0.95. The automatic generator (SAM's in
seed-style, `tools.amg`'s in ours) then does all of its own post-processing (upsampling,
stability, thresholds, NMS, small-region clean-up) and returns about 60 segments, each a plausible
region of the photo. Both benchmark modes use it.
"""
from __future__ import annotations

import contextlib
import time
from collections import defaultdict

import numpy as np


class ForwardTimer:
    """Seconds spent inside the forward passes of watched modules, per name; nested calls count once."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._depth = 0
        self._start = 0.0
        self._handles = []

    def watch(self, name: str, module) -> None:
        def before(_module, _args):
            if self._depth == 0:
                self._start = time.perf_counter()
            self._depth += 1

        def after(_module, _args, _output):
            self._depth -= 1
            if self._depth == 0:
                self.seconds[name] += time.perf_counter() - self._start
                self.calls[name] += 1

        self._handles.append(module.register_forward_pre_hook(before))
        self._handles.append(module.register_forward_hook(after))

    def total(self) -> float:
        return float(sum(self.seconds.values()))

    def snapshot(self) -> dict[str, float]:
        return dict(self.seconds)

    def since(self, snapshot: dict[str, float]) -> dict[str, float]:
        """Per-name seconds spent since `snapshot` was taken."""
        return {k: v - snapshot.get(k, 0.0) for k, v in self.seconds.items() if v - snapshot.get(k, 0.0) > 0}

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def watch_components(timer: ForwardTimer, sam, clip_model, pipe) -> None:
    """Hook every model forward pass the benchmark runs (SAM, CLIP, UNet, VAE, text encoder)."""
    timer.watch("sam_image_encoder", sam.image_encoder)
    timer.watch("sam_prompt_encoder", sam.prompt_encoder)
    timer.watch("sam_mask_decoder", sam.mask_decoder)
    timer.watch("clip_vision", clip_model.vision_model)
    timer.watch("clip_vision", clip_model.visual_projection)
    timer.watch("clip_text", clip_model.text_model)
    timer.watch("clip_text", clip_model.text_projection)
    watch_pipe(timer, pipe)


def watch_pipe(timer: ForwardTimer, pipe) -> None:
    """Hook an SD inpainting pipeline's UNet, text encoder and VAE."""
    timer.watch("sd_unet", pipe.unet)
    timer.watch("sd_text_encoder", pipe.text_encoder)
    # the pipeline calls vae.encode()/vae.decode(), not forward(): watch their submodules
    for part in ("encoder", "quant_conv"):
        if getattr(pipe.vae, part, None) is not None:
            timer.watch("sd_vae_encode", getattr(pipe.vae, part))
    for part in ("decoder", "post_quant_conv"):
        if getattr(pipe.vae, part, None) is not None:
            timer.watch("sd_vae_decode", getattr(pipe.vae, part))


class RealisticSegments:
    """Replace random-weight SAM decoder outputs by a superpixel map's regions (see module doc)."""

    def __init__(self, sam, regions: int = 80, compactness: float = 10.0):
        self.sam = sam
        self.regions = regions
        self.compactness = compactness
        self._labels = None  # int map in SAM's low-res mask frame, -1 = padding
        self._coords = None
        self._handles = [
            sam.prompt_encoder.register_forward_pre_hook(self._remember_points, with_kwargs=True),
            sam.mask_decoder.register_forward_hook(self._replace_outputs),
        ]

    def set_image(self, image: np.ndarray) -> None:
        """Compute the region map of `image` (HxWx3 uint8) in SAM's low-res mask frame."""
        from PIL import Image
        from segment_anything.utils.transforms import ResizeLongestSide
        from skimage.segmentation import slic

        size = self.sam.image_encoder.img_size
        low_h, low_w = self.sam.prompt_encoder.mask_input_size
        in_h, in_w = ResizeLongestSide.get_preprocess_shape(image.shape[0], image.shape[1], size)
        h, w = max(1, round(in_h * low_h / size)), max(1, round(in_w * low_w / size))
        small = np.asarray(Image.fromarray(image).resize((w, h), Image.BILINEAR))
        labels = np.full((low_h, low_w), -1, dtype=np.int64)
        labels[:h, :w] = slic(small, n_segments=self.regions, compactness=self.compactness, start_label=0)
        self._labels = labels

    def _remember_points(self, _module, args, kwargs):
        points = kwargs.get("points", args[0] if args else None)
        self._coords = None if points is None else points[0]

    def _replace_outputs(self, _module, _args, output):
        import torch

        masks, iou = output
        if self._labels is None or self._coords is None:
            return output
        size = self.sam.image_encoder.img_size
        low_h, low_w = self._labels.shape
        labels = torch.as_tensor(self._labels, device=masks.device)
        xy = self._coords[:, 0, :]  # B×2 in SAM's input frame
        xs = (xy[:, 0] * low_w / size).long().clamp(0, low_w - 1)
        ys = (xy[:, 1] * low_h / size).long().clamp(0, low_h - 1)
        picked = labels[ys, xs]  # B
        inside = labels[None] == picked[:, None, None]  # B×h×w
        logits = torch.where(inside, 20.0, -20.0).to(masks.dtype)
        logits = logits[:, None].expand(-1, masks.shape[1], -1, -1)
        if logits.shape[-2:] != masks.shape[-2:]:
            logits = torch.nn.functional.interpolate(logits, size=masks.shape[-2:], mode="nearest")
        return logits.contiguous(), torch.full_like(iou, 0.95)

    def also_replace(self, decoder) -> None:
        """Replace the outputs of another module called like SAM's mask decoder (ours' shared-image one)."""
        self._handles.append(decoder.register_forward_hook(self._replace_outputs))

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


@contextlib.contextmanager
def realistic_generation(realistic: RealisticSegments):
    """While active, every automatic generation — SAM's `SamAutomaticMaskGenerator.generate(image)`
    (seed-style) and the product's `tools.amg.generate_masks(predictor, image)` (ours) — first maps
    `image`'s regions."""
    from segment_anything import SamAutomaticMaskGenerator

    from tools import amg

    original_generate, original_masks = SamAutomaticMaskGenerator.generate, amg.generate_masks

    def generate(self, image, *args, **kwargs):
        realistic.set_image(np.asarray(image))
        return original_generate(self, image, *args, **kwargs)

    def generate_masks(predictor, image, **kwargs):
        realistic.set_image(np.asarray(image))
        return original_masks(predictor, image, **kwargs)

    SamAutomaticMaskGenerator.generate, amg.generate_masks = generate, generate_masks
    try:
        yield
    finally:
        SamAutomaticMaskGenerator.generate, amg.generate_masks = original_generate, original_masks
