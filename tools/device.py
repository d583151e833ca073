"""Where the models run and in which precision: `resolve_device` and `dtype_for`.

    device = resolve_device("auto")      # "cuda" > "mps" > "cpu"
    dtype = dtype_for(device)            # float16 on CUDA, bfloat16 on a CPU with bf16, else float32
"""
from __future__ import annotations

from tools.errors import BadInputError

PRECISION_ENV = "EDIT_EVERYTHING_PRECISION"
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def _available() -> dict[str, bool]:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return {"cpu": True, "cuda": torch.cuda.is_available(), "mps": mps is not None and mps.is_available()}


def resolve_device(device: str = "auto") -> str:
    """"auto" → "cuda" when available, else "mps", else "cpu"; other values are checked and returned as
    given ("cuda:1" stays "cuda:1"). An unknown or absent device is a one-line `BadInputError`."""
    name = (device or "auto").strip().lower()
    available = _available()
    if name == "auto":
        return next(kind for kind in ("cuda", "mps", "cpu") if available[kind])
    kind = name.split(":")[0]
    if kind not in available:
        raise BadInputError(f"Unknown device '{device}': use auto, cpu, cuda or mps.",
                            zh=f"未知的设备“{device}”：可选 auto、cpu、cuda、mps。")
    if not available[kind]:
        raise BadInputError(f"The device '{device}' is not available on this machine; use --device auto.",
                            zh=f"这台机器上没有设备“{device}”；请用 --device auto。")
    return name


def cpu_has_native_bf16() -> bool:
    """True on a CPU with bf16 instructions (AVX512-BF16 or AMX), where bf16 runs ~2–4× fp32."""
    import torch

    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def dtype_for(device: str, precision: str = "auto"):
    """The torch dtype SAM and Stable Diffusion compute in on `device`.

    `precision`: "auto" is float16 on CUDA, bfloat16 on a CPU with native bf16 instructions, float32
    elsewhere (MPS, older CPUs; CPU fp16 is slow or unsupported). "fp32", "bf16" or "fp16" force one
    (fp16 needs a GPU). CLIP ranking always stays float32: its scores are compared against a
    calibrated threshold.
    """
    import torch

    name = (precision or "auto").strip().lower()
    if name not in PRECISIONS:
        raise BadInputError(f"Unknown precision '{name}': use {', '.join(PRECISIONS)} ({PRECISION_ENV}).",
                            zh=f"未知的精度“{name}”：可选 {', '.join(PRECISIONS)}（{PRECISION_ENV}）。")
    on_cpu = device.startswith("cpu")
    if name == "fp16" and on_cpu:
        raise BadInputError("fp16 needs a GPU; on a CPU use bf16 or fp32.",
                            zh="fp16 需要 GPU；CPU 上请用 bf16 或 fp32。")
    if name == "auto":
        if device.startswith("cuda"):
            return torch.float16
        return torch.bfloat16 if on_cpu and cpu_has_native_bf16() else torch.float32
    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[name]
