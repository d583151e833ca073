"""The benchmark's models: real-size architectures with random weights (no downloads), or the tiny
preset's models for `--quick`. Speed does not depend on weight values, so random weights measure
what trained ones would cost; their outputs mean nothing (see bench.probes for segments).
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLIP_SIZES = {
    # transformers CLIPConfig sizes of openai/clip-vit-base-patch16 and clip-vit-large-patch14
    "ViT-B-16": dict(vision=dict(image_size=224, patch_size=16, hidden_size=768, intermediate_size=3072,
                                 num_hidden_layers=12, num_attention_heads=12),
                     text=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=12,
                               num_attention_heads=8),
                     projection_dim=512),
    "ViT-L-14": dict(vision=dict(image_size=224, patch_size=14, hidden_size=1024, intermediate_size=4096,
                                 num_hidden_layers=24, num_attention_heads=16),
                     text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                               num_attention_heads=12),
                     projection_dim=768),
}


@dataclass
class Components:
    """The modules both benchmark modes share (built once)."""

    sam: object
    clip_model: object
    clip_processor: object
    pipe: object
    names: dict[str, str]
    load_seconds: dict[str, float] = field(default_factory=dict)

    def parameter_counts(self) -> dict[str, int]:
        def count(module) -> int:
            return int(sum(p.numel() for p in module.parameters()))
        return {"sam": count(self.sam), "clip": count(self.clip_model), "sd_unet": count(self.pipe.unet),
                "sd_vae": count(self.pipe.vae), "sd_text_encoder": count(self.pipe.text_encoder)}


def _timed(load_seconds: dict, name: str, build):
    start = time.perf_counter()
    value = build()
    load_seconds[name] = time.perf_counter() - start
    return value


def build_real(sam_variant: str = "vit_b", clip: str = "ViT-B-16", seed: int = 0) -> Components:
    """SAM (segment_anything's own builder, no checkpoint), a transformers CLIP of `clip` sizes, and
    an SD-1.5-size inpainting pipeline (9-channel UNet, SD VAE, 12-layer CLIP text encoder)."""
    import torch

    from tools.models import quiet_libraries

    quiet_libraries()
    torch.manual_seed(seed)
    seconds: dict[str, float] = {}
    tokenizer_dir = Path(tempfile.mkdtemp(prefix="bench-tok-"))
    sam = _timed(seconds, "sam", lambda: _sam(sam_variant))
    clip_model, processor = _timed(seconds, "clip", lambda: _clip(clip, tokenizer_dir / "clip"))
    pipe = _timed(seconds, "sd", lambda: _sd(tokenizer_dir / "sd"))
    names = {"sam": f"SAM {sam_variant} (random weights)", "clip": f"CLIP {clip} (random weights)",
             "sd": "SD-1.5-size inpainting UNet+VAE+text encoder (random weights)"}
    return Components(sam, clip_model, processor, pipe, names, seconds)


def _sam(variant: str):
    from segment_anything import sam_model_registry

    return sam_model_registry[variant](checkpoint=None).eval()


def _clip(name: str, tokenizer_dir: Path):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    from tools.tiny_models import clip_tokenizer

    sizes = CLIP_SIZES[name]
    tokenizer = clip_tokenizer(tokenizer_dir)
    vocab = len(tokenizer)
    config = CLIPConfig(
        text_config={**sizes["text"], "vocab_size": vocab, "max_position_embeddings": 77,
                     "bos_token_id": vocab - 2, "eos_token_id": vocab - 1, "pad_token_id": vocab - 1},
        vision_config=sizes["vision"], projection_dim=sizes["projection_dim"])
    model = CLIPModel(config).eval()
    images = CLIPImageProcessor(size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224})
    return model, CLIPProcessor(image_processor=images, tokenizer=tokenizer)


def _sd(tokenizer_dir: Path, *, chinese: bool = False):
    """SD-1.5-inpainting's shapes (9-channel UNet, CLIP text encoder), or with `chinese` Taiyi's
    (SD-1.4's 4-channel UNet, run by latent blending, and a 12-layer BERT text encoder)."""
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from tools.tiny_models import clip_tokenizer

    unet = UNet2DConditionModel(
        sample_size=64, in_channels=4 if chinese else 9, out_channels=4, layers_per_block=2,
        block_out_channels=(320, 640, 1280, 1280), cross_attention_dim=768, attention_head_dim=8,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"))
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
        block_out_channels=(128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
    if chinese:
        from transformers import BertConfig, BertModel

        from tools.tiny_models import chinese_tokenizer

        tokenizer = chinese_tokenizer(tokenizer_dir)
        text_encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=768, intermediate_size=3072,
                                            num_hidden_layers=12, num_attention_heads=12), add_pooling_layer=False)
    else:
        tokenizer = clip_tokenizer(tokenizer_dir)
        vocab = len(tokenizer)
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=vocab, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
            num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu",
            bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=vocab - 1))
    # SD-1.5-inpainting's own scheduler configuration
    scheduler = PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                              skip_prk_steps=True, set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionInpaintPipeline(
        vae=vae.eval(), text_encoder=text_encoder.eval(), tokenizer=tokenizer, unet=unet.eval(),
        scheduler=scheduler, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def build_tiny() -> Components:
    """The tiny preset's models (built into $EDIT_EVERYTHING_CACHE, or a temporary cache), loaded
    through the product's own loaders."""
    import os

    from tools.models import load_models

    if not os.environ.get("EDIT_EVERYTHING_CACHE"):
        os.environ["EDIT_EVERYTHING_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
    os.environ.setdefault("EDIT_EVERYTHING_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    seconds: dict[str, float] = {}
    models = _timed(seconds, "tiny_build", lambda: load_models("tiny", device="cpu"))
    sam = _timed(seconds, "sam", lambda: models.segmenter().sam)
    ranker = _timed(seconds, "clip", lambda: models.ranker("en"))
    pipe = _timed(seconds, "sd", lambda: models.inpainter("en").pipe)
    names = {"sam": "tiny SAM", "clip": "tiny CLIP", "sd": "tiny SD inpainting"}
    return Components(sam, ranker.model, ranker.processor, pipe, names, seconds)
