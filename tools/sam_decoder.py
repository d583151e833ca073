"""SAM's mask decoder for many point prompts on one image, without a copy of the image per prompt.

`segment_anything`'s `MaskDecoder.predict_masks` repeats the image embedding (256×64×64) and its
positional encoding once per prompt before the two-way transformer: 2 × 64 copies of 4 MB for a
batch of 64 points. Until the transformer's first image-to-token attention those copies are all
the same, so here the image goes in once and broadcasting does the rest — the same modules and
weights, the same outputs (up to float rounding), without the copies and with the first layer's
image projections computed once instead of once per prompt. Imported lazily: it needs torch.
"""
from __future__ import annotations

import torch
from torch import nn


class SharedImageMaskDecoder(nn.Module):
    """Wraps a `segment_anything.modeling.MaskDecoder`; call it exactly like the decoder.

    image_embeddings: 1×256×h×w; sparse_prompt_embeddings: B×N×256; dense_prompt_embeddings:
    B×256×h×w → (masks B×M×4h×4w logits, iou B×M), M = 3 with `multimask_output`, else 1.
    Prompts with a mask input (dense embeddings that differ per prompt) go to the decoder as is.
    """

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, image_embeddings: torch.Tensor, image_pe: torch.Tensor,
                sparse_prompt_embeddings: torch.Tensor, dense_prompt_embeddings: torch.Tensor,
                multimask_output: bool) -> tuple[torch.Tensor, torch.Tensor]:
        decoder = self.decoder
        shared_dense = dense_prompt_embeddings.shape[0] == 1 or dense_prompt_embeddings.stride(0) == 0
        if image_embeddings.shape[0] != 1 or not shared_dense:
            return decoder(image_embeddings=image_embeddings, image_pe=image_pe,
                           sparse_prompt_embeddings=sparse_prompt_embeddings,
                           dense_prompt_embeddings=dense_prompt_embeddings, multimask_output=multimask_output)
        prompts = sparse_prompt_embeddings.shape[0]
        output_tokens = torch.cat([decoder.iou_token.weight, decoder.mask_tokens.weight], dim=0)
        output_tokens = output_tokens.unsqueeze(0).expand(prompts, -1, -1)
        tokens = torch.cat((output_tokens, sparse_prompt_embeddings), dim=1)
        src = image_embeddings + dense_prompt_embeddings[:1]  # 1×C×h×w: not repeated per prompt
        _, channels, height, width = src.shape

        hs, src = decoder.transformer(src, image_pe, tokens)  # src is per prompt after the first layer
        iou_token_out = hs[:, 0, :]
        mask_tokens_out = hs[:, 1:1 + decoder.num_mask_tokens, :]

        src = src.expand(prompts, -1, -1).transpose(1, 2).reshape(prompts, channels, height, width)
        upscaled = decoder.output_upscaling(src)
        hyper_in = torch.stack([mlp(mask_tokens_out[:, i, :])
                                for i, mlp in enumerate(decoder.output_hypernetworks_mlps)], dim=1)
        b, c, h, w = upscaled.shape
        masks = (hyper_in @ upscaled.view(b, c, h * w)).view(b, -1, h, w)
        iou_pred = decoder.iou_prediction_head(iou_token_out)
        keep = slice(1, None) if multimask_output else slice(0, 1)
        return masks[:, keep, :, :], iou_pred[:, keep]
