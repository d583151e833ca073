"""Tiny random-weight models, saved in their real on-disk formats, for tests and offline tries.

`ensure_tiny_models(cache_dir)` builds them once under `cache_dir/tiny/` (a few seconds); the tiny
preset then loads them through exactly the loaders the real presets use (tools/load_*.py, which
import `build_tiny_sam` from here; nothing here imports them). Their scores and images mean nothing:
they exist to exercise every code path without downloads.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import partial
from pathlib import Path

TINY_FORMAT = "5"  # bump to rebuild every user's tiny models after a change here
SEED = 0


def ensure_tiny_models(cache_dir: Path) -> Path:
    """Build the tiny models under `cache_dir/tiny` unless they are already there; returns that dir."""
    root = cache_dir / "tiny"
    marker = root / "FORMAT"
    if marker.is_file() and marker.read_text().strip() == TINY_FORMAT:
        return root
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".tiny-", dir=cache_dir))
    try:
        _build_all(building)
        (building / "FORMAT").write_text(TINY_FORMAT)
        if root.exists():
            shutil.rmtree(root, ignore_errors=True)
        try:
            os.replace(building, root)
        except OSError:  # another process finished first
            if not marker.is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return root


def _build_all(root: Path) -> None:
    import torch

    torch.manual_seed(SEED)
    build_sam(root / "sam")
    build_hf_clip(root / "clip_en")
    build_cn_clip(root / "clip_zh")
    build_sd(root / "sd_en", chinese=False)
    build_sd(root / "sd_zh", chinese=True)


def build_sam(folder: Path) -> None:
    """A 2-block, 64-wide SAM ViT through segment_anything's own builder; saved as a state dict."""
    import torch

    folder.mkdir(parents=True)
    sam = build_tiny_sam()
    torch.save(sam.state_dict(), folder / "sam_tiny.pth")


def build_tiny_sam(checkpoint: str | None = None):
    """A 256-px, 2-block, 64-wide SAM for tests; loads `checkpoint` (a state dict) like SAM's builders."""
    import torch
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer

    sam = Sam(
        image_encoder=ImageEncoderViT(
            depth=2, embed_dim=64, img_size=256, mlp_ratio=4, num_heads=2, patch_size=16, qkv_bias=True,
            use_rel_pos=True, global_attn_indexes=[1], window_size=4, out_chans=32,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6)),
        prompt_encoder=PromptEncoder(embed_dim=32, image_embedding_size=(16, 16),
                                     input_image_size=(256, 256), mask_in_chans=8),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3, transformer_dim=32, iou_head_depth=3, iou_head_hidden_dim=32,
            transformer=TwoWayTransformer(depth=2, embedding_dim=32, mlp_dim=64, num_heads=2)),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375])
    sam.eval()
    if checkpoint is not None:
        sam.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
    return sam


def byte_level_vocab() -> dict[str, int]:
    """A CLIP BPE vocabulary with only GPT-2's 256 byte characters (plain and with `</w>`)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = printable[:], 0
    for b in range(256):
        if b not in printable:
            chars.append(256 + extra)
            extra += 1
    symbols = [chr(c) for c in chars]
    tokens = symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(tokens)}


def clip_tokenizer(folder: Path):
    """A working CLIPTokenizer over `byte_level_vocab`, written to `folder`."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(byte_level_vocab()), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)


def build_hf_clip(folder: Path) -> None:
    """A transformers CLIPModel (32-px images) with its processor, via save_pretrained."""
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    tokenizer = clip_tokenizer(folder / "_tok")
    config = CLIPConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 37,
                     "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 77,
                     "bos_token_id": len(tokenizer) - 2, "eos_token_id": len(tokenizer) - 1,
                     "pad_token_id": len(tokenizer) - 1},
        vision_config={"image_size": 32, "patch_size": 8, "hidden_size": 32, "intermediate_size": 37,
                       "num_hidden_layers": 2, "num_attention_heads": 4},
        projection_dim=16)
    CLIPModel(config).save_pretrained(folder)
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    shutil.rmtree(folder / "_tok")


def build_cn_clip(folder: Path) -> None:
    """A cn_clip CLIP (ViT + BERT, cn_clip's own class and tokenizer vocab) as a `.pt` checkpoint."""
    import torch
    from cn_clip.clip.model import CLIP

    model_info = {
        "embed_dim": 16, "image_resolution": 32, "vision_layers": 2, "vision_width": 32,
        "vision_patch_size": 8, "vision_head_width": 16, "vocab_size": 21128,
        "text_attention_probs_dropout_prob": 0.1, "text_hidden_act": "gelu",
        "text_hidden_dropout_prob": 0.1, "text_hidden_size": 32, "text_initializer_range": 0.02,
        "text_intermediate_size": 37, "text_max_position_embeddings": 64,
        "text_num_attention_heads": 2, "text_num_hidden_layers": 2, "text_type_vocab_size": 2,
    }
    folder.mkdir(parents=True)
    model = CLIP(**model_info)
    torch.save({"state_dict": model.state_dict()}, folder / "clip_cn_tiny.pt")
    config = {"model_info": model_info, "input_resolution": 32}
    (folder / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")


def build_sd(folder: Path, *, chinese: bool) -> None:
    """A tiny StableDiffusionInpaintPipeline saved with save_pretrained.

    English: a 9-channel inpainting UNet with a CLIP text encoder (like SD-1.5-inpainting).
    Chinese: a 4-channel text-to-image UNet with a BERT text encoder and Chinese tokenizer (like
    Taiyi), which diffusers' inpaint pipeline runs by latent blending.
    """
    from diffusers import AutoencoderKL, PNDMScheduler, StableDiffusionInpaintPipeline, UNet2DConditionModel

    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32,
        in_channels=4 if chinese else 9, out_channels=4, cross_attention_dim=32, norm_num_groups=8,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"))
    vae = AutoencoderKL(block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4,
                        norm_num_groups=8,
                        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
                        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"))
    scheduler = PNDMScheduler(skip_prk_steps=True, beta_schedule="scaled_linear",
                              beta_start=0.00085, beta_end=0.012, steps_offset=1)
    if chinese:
        text_encoder, tokenizer = _bert_text_encoder(folder / "_tok")
    else:
        from transformers import CLIPTextConfig, CLIPTextModel

        tokenizer = clip_tokenizer(folder / "_tok")
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
            num_attention_heads=4, max_position_embeddings=77, bos_token_id=len(tokenizer) - 2,
            eos_token_id=len(tokenizer) - 1, pad_token_id=len(tokenizer) - 1))
    pipe = StableDiffusionInpaintPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder)
    shutil.rmtree(folder / "_tok")


def chinese_tokenizer(folder: Path):
    """A BERT tokenizer with cn_clip's Chinese vocabulary (21128 tokens), saved in `folder`."""
    import cn_clip.clip
    from transformers import BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(cn_clip.clip.__file__).parent / "vocab.txt", folder / "vocab.txt")
    return BertTokenizer(str(folder / "vocab.txt"), model_max_length=77)


def _bert_text_encoder(tok_folder: Path):
    """A BERT text encoder with cn_clip's Chinese vocabulary (Taiyi's text encoder is a BERT)."""
    from transformers import BertConfig, BertModel

    tokenizer = chinese_tokenizer(tok_folder)
    encoder = BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37,
                                   num_hidden_layers=2, num_attention_heads=4,
                                   max_position_embeddings=80), add_pooling_layer=False)
    return encoder, tokenizer
