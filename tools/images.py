"""Reading and writing the user's images.

`load_image` turns any file or bytes the user gives into a `LoadedImage`: an upright 8-bit RGB
picture plus its alpha channel when the input had transparency. Everything it cannot use is refused
with a one-line `BadInputError` (English and Chinese) that tells the user what to do; no other
exception escapes, whatever the bytes are.

Limits (all refusals happen before the pixels are decoded, from the file size and the image header):
- `DEFAULT_MAX_BYTES` = 50 MiB of file. Phone photos are 2-15 MB; a 40 MP PNG is rarely above 50 MB.
- `DEFAULT_MAX_PIXELS` = 40 megapixels (e.g. 8000x5000, above every common phone camera; the RGB
  copy is 120 MB). Pillow's own decompression-bomb guard (about 89 MP, a process-wide setting) still
  applies on top, so raising `max_pixels` above it has no effect.
- `MIN_SIDE` = 16 pixels on each side. Icons, 1x1 tracking pixels and strips like 10000x10 are
  refused: nothing in them can be segmented. Long screenshots (e.g. 1080x20000) are accepted.

Accepted formats are `ACCEPTED_FORMATS` (+ HEIF when the optional `pillow-heif` package is
installed); other formats Pillow could read (EPS, PSD, ...) are refused to keep the attack surface
small. Phone "MPO" JPEGs are reported as "JPEG".
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from tools.errors import BadInputError
from tools.files import atomic_write_bytes, os_reason

__all__ = [
    "ACCEPTED_FORMATS", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "MIN_SIDE",
    "LoadedImage", "Note", "downscale_for_work", "image_to_png_bytes", "load_image", "save_image",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 16
ACCEPTED_FORMATS = ("JPEG", "MPO", "PNG", "WEBP", "GIF", "BMP", "TIFF", "AVIF", "HEIF")

_SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".bmp": "BMP", ".tif": "TIFF",
                 ".tiff": "TIFF"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_SUPPORTED_TEXT = "JPEG, PNG, WebP, GIF, BMP, TIFF"
_UPLOADED = "The uploaded image"  # how messages name an image given as bytes


@dataclass(frozen=True)
class Note:
    """A remark for the user about how their image was read, e.g. that only frame 1 is edited."""

    en: str
    zh: str


@dataclass(frozen=True)
class LoadedImage:
    """An image ready for editing.

    rgb: PIL image, mode "RGB", 8 bits per channel, EXIF orientation already applied (upright).
    alpha: PIL image, mode "L", same size as `rgb`; None unless the input had real transparency
        (an alpha channel that is 255 everywhere counts as none).
    format: the format Pillow detected from the content ("PNG", "JPEG", ...), whatever the file
        extension said.
    notes: remarks to show the user.
    """

    rgb: Image.Image
    alpha: Image.Image | None
    format: str
    notes: tuple[Note, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.rgb.size


def load_image(
    source: str | os.PathLike[str] | bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> LoadedImage:
    """Read an image from a path or from its bytes; raise `BadInputError` for anything unusable."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = _UPLOADED
        _check_byte_count(len(data), name, max_bytes)
    elif isinstance(source, (str, os.PathLike)):
        data, name = _read_file(source, max_bytes)
    else:
        raise TypeError(f"source must be a path or bytes, got {type(source).__name__}")
    try:
        return _decode(data, name, max_pixels)
    except BadInputError:
        raise
    except MemoryError as err:
        raise _too_many_pixels(name, max_pixels) from err
    except Exception as err:  # noqa: BLE001 - any failure inside a decoder means the file is bad
        raise _damaged(name) from err


def save_image(
    path: str | os.PathLike[str],
    rgb: Image.Image,
    alpha: Image.Image | None = None,
    *,
    format: str | None = None,
) -> None:
    """Write `rgb` (mode "RGB") to `path` atomically; format from the extension unless given.

    Formats: PNG, JPEG (quality 95), WebP (quality 95), BMP, TIFF. `alpha` (mode "L", same size) is
    attached as an RGBA image (not to JPEG: it has no transparency, so the picture is flattened onto
    white). Metadata (EXIF, GPS, ICC) is not written. Raises `BadInputError` for an unknown format
    and `StorageError` when the file cannot be written.
    """
    format_name = _save_format(path, format)
    atomic_write_bytes(path, _encode(rgb, alpha, format_name))


def image_to_png_bytes(rgb: Image.Image, alpha: Image.Image | None = None) -> bytes:
    """PNG file bytes of `rgb` (mode "RGB"), as RGBA when `alpha` (mode "L", same size) is given."""
    return _encode(rgb, alpha, "PNG")


def downscale_for_work(rgb: Image.Image, max_side: int) -> tuple[Image.Image, float]:
    """A copy of `rgb` whose longer side is at most `max_side`, and its scale (work size / original).

    Returns `(rgb, 1.0)` itself, not a copy, when the image is already small enough. Each side of
    the copy is at least 1 pixel. Map results back with the scale or by resizing to `rgb.size`.
    """
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    width, height = rgb.size
    longer = max(width, height)
    if longer <= max_side:
        return rgb, 1.0
    scale = max_side / longer
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), scale


# --- reading ---------------------------------------------------------------------------------

def _read_file(source: str | os.PathLike[str], max_bytes: int) -> tuple[bytes, str]:
    path = os.fspath(source)
    name = _one_line(str(path))
    if os.path.isdir(path):
        raise BadInputError(
            f"{name} is a folder, not an image file. Please choose an image file.",
            zh=f"{name} 是一个文件夹，不是图片文件。请选择一个图片文件。",
        )
    if not os.path.exists(path):
        raise BadInputError(
            f"No file found at {name}. Please check the path.",
            zh=f"找不到文件 {name}。请检查路径。",
        )
    try:
        if not os.path.isfile(path):
            raise BadInputError(
                f"{name} is not a regular file. Please choose an image file.",
                zh=f"{name} 不是普通文件。请选择一个图片文件。",
            )
        _check_byte_count(os.path.getsize(path), name, max_bytes)
        with open(path, "rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as err:
        cause, cause_zh = os_reason(err)
        raise BadInputError(
            f"Could not read {name}: {cause}. Please check that the file can be opened.",
            zh=f"无法读取 {name}：{cause_zh}。请确认该文件可以打开。",
        ) from err
    _check_byte_count(len(data), name, max_bytes)
    return data, name


def _check_byte_count(count: int, name: str, max_bytes: int) -> None:
    if count == 0:
        raise BadInputError(
            f"{name} is empty (0 bytes). Please use another file.",
            zh=f"{_zh(name)}是空的（0 字节）。请换一个文件。",
        )
    if count > max_bytes:
        size_mb, limit_mb = count / 2**20, max_bytes / 2**20
        raise BadInputError(
            f"{name} is {size_mb:.1f} MB, more than the {limit_mb:.0f} MB limit. "
            "Please use a smaller file, for example saved as JPEG.",
            zh=f"{_zh(name)}有 {size_mb:.1f} MB，超过了 {limit_mb:.0f} MB 的上限。"
            "请换一个更小的文件，例如另存为 JPEG。",
        )


def _decode(data: bytes, name: str, max_pixels: int) -> LoadedImage:
    _refuse_unsupported_containers(data, name)
    formats = tuple(f for f in ACCEPTED_FORMATS if _can_open(f))
    # Capped at Pillow's own limit, our header check refuses every image before Pillow would warn
    # about a decompression bomb: no process-wide warning filter needed (those are not thread-safe).
    max_pixels = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    try:
        with Image.open(io.BytesIO(data), formats=formats) as image:
            _check_size(image.size, name, max_pixels)
            frame_count = getattr(image, "n_frames", 1)
            image.load()
            format_name = "JPEG" if image.format == "MPO" else str(image.format)
            upright = _upright(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _too_many_pixels(name, max_pixels) from err
    except UnidentifiedImageError as err:
        raise _not_an_image(data, name) from err
    rgb, alpha = to_rgb_and_alpha(upright)
    notes: tuple[Note, ...] = ()
    if frame_count > 1 and format_name != "JPEG":
        notes = (Note(
            en=f"This image is animated or has {frame_count} frames; only the first frame is edited.",
            zh=f"这张图片是动图或包含 {frame_count} 帧，只会编辑第一帧。",
        ),)
    return LoadedImage(rgb=rgb, alpha=alpha, format=format_name, notes=notes)


def _upright(image: Image.Image) -> Image.Image:
    """A copy turned as the EXIF orientation tag says (a broken EXIF block is ignored)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - bad metadata must not make good pixels unusable
        return image.copy()


def _check_size(size: tuple[int, int], name: str, max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise _too_many_pixels(name, max_pixels, size)
    if min(width, height) < MIN_SIDE:
        raise BadInputError(
            f"{name} is only {width}x{height} pixels; each side must be at least "
            f"{MIN_SIDE} pixels. Please use a larger image.",
            zh=f"{_zh(name)}只有 {width}x{height} 像素，每条边至少需要 {MIN_SIDE} 像素。请换一张更大的图片。",
        )


def to_rgb_and_alpha(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """Split any Pillow mode into 8-bit RGB and an "L" alpha (None when fully opaque)."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _grey_to_8bit(image).convert("RGB"), None
    has_alpha = "A" in image.mode or "a" in image.mode or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        alpha = rgba.getchannel("A")
        colour = rgba.convert("RGB")
    else:
        alpha = None
        colour = image
    rgb = _to_srgb(colour)
    if alpha is not None and alpha.getextrema() == (255, 255):
        alpha = None
    return rgb, alpha


def _grey_to_8bit(image: Image.Image) -> Image.Image:
    """16-bit (or 32-bit int / float) grey scaled to 0-255, not clipped: 65535 -> 255."""
    values = np.asarray(image).astype(np.float64)
    if image.mode == "F" and values.size and np.nanmax(values) <= 1.0:
        values = values * 255.0
    elif image.mode != "F":
        values = np.clip(values, 0, 65535) / 257.0
    return Image.fromarray(np.clip(np.nan_to_num(np.rint(values)), 0, 255).astype(np.uint8))


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB (mode "RGB") from an RGB/CMYK/L/P/1 image, through its embedded ICC profile if any."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: fall back to the plain conversion below
    return image.convert("RGB")


def _can_open(format_name: str) -> bool:
    """Whether Pillow can read `format_name` here (HEIF registers `pillow-heif` on first use)."""
    Image.init()
    if format_name == "HEIF" and "HEIF" not in Image.OPEN:
        try:
            import pillow_heif  # optional dependency
        except ImportError:
            return False
        pillow_heif.register_heif_opener()
    return format_name in Image.OPEN


def _refuse_unsupported_containers(data: bytes, name: str) -> None:
    """Refuse HEIC/AVIF photos up front when no decoder for them is installed."""
    if data[4:8] != b"ftyp":
        return
    box_end = min(max(int.from_bytes(data[0:4], "big"), 16), 64)
    brands = {data[8:12]} | {data[i:i + 4] for i in range(16, box_end, 4)}  # major + compatible
    if brands & _AVIF_BRANDS and not _can_open("AVIF"):
        raise BadInputError(
            f"{name} is an AVIF image, which this installation cannot read. "
            "Please convert it to JPEG or PNG (or update Pillow) and try again.",
            zh=f"{_zh(name)}是 AVIF 图片，当前安装无法读取。请转换为 JPEG 或 PNG（或升级 Pillow）后再试。",
        )
    if brands & _HEIF_BRANDS and not brands & _AVIF_BRANDS and not _can_open("HEIF"):
        raise BadInputError(
            f"{name} is a HEIC/HEIF photo, which needs the optional package pillow-heif. "
            "Please convert it to JPEG (or install pillow-heif) and try again.",
            zh=f"{_zh(name)}是 HEIC/HEIF 照片，需要安装可选的 pillow-heif 包才能读取。"
            "请转换为 JPEG（或安装 pillow-heif）后再试。",
        )


def _not_an_image(data: bytes, name: str) -> BadInputError:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and b"<svg" in head:
        return BadInputError(
            f"{name} is an SVG drawing, which cannot be edited here. "
            "Please export it as PNG and try again.",
            zh=f"{_zh(name)}是 SVG 矢量图，无法在这里编辑。请导出为 PNG 后再试。",
        )
    if head.startswith(b"%pdf"):
        return BadInputError(
            f"{name} is a PDF document, not an image. Please export the page as PNG or JPEG.",
            zh=f"{_zh(name)}是 PDF 文档，不是图片。请把页面导出为 PNG 或 JPEG。",
        )
    return BadInputError(
        f"{name} is not an image this app can read (supported: {_SUPPORTED_TEXT}). "
        "Please use a picture in one of these formats.",
        zh=f"{_zh(name)}不是本应用能读取的图片（支持：{_SUPPORTED_TEXT}）。请换一张这些格式之一的图片。",
    )


def _too_many_pixels(name: str, max_pixels: int, size: tuple[int, int] | None = None) -> BadInputError:
    limit = f"{max_pixels / 1e6:.0f}" if max_pixels >= 10_000_000 else f"{max_pixels / 1e6:g}"
    shown = f" ({size[0]}x{size[1]}, {size[0] * size[1] / 1e6:.1f} megapixels)" if size else ""
    shown_zh = f"（{size[0]}x{size[1]}，{size[0] * size[1] / 1e6:.1f} 百万像素）" if size else ""
    return BadInputError(
        f"{name} is too large{shown}; the limit is {limit} megapixels. "
        "Please make it smaller and try again.",
        zh=f"{_zh(name)}太大{shown_zh}，上限是 {limit} 百万像素。请缩小尺寸后再试。",
    )


def _damaged(name: str) -> BadInputError:
    return BadInputError(
        f"{name} is damaged or incomplete and cannot be opened. "
        "Please re-save it with another program and try again.",
        zh=f"{_zh(name)}已损坏或不完整，无法打开。请用其他软件重新保存后再试。",
    )


def _zh(name: str) -> str:
    """The Chinese label for `name`, to put directly before Chinese text (a path gets a space)."""
    return "上传的图片" if name == _UPLOADED else f"{name} "


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text)


# --- writing ---------------------------------------------------------------------------------

def _save_format(path: str | os.PathLike[str], format: str | None) -> str:
    key = f".{format.lower().lstrip('.')}" if format else os.path.splitext(os.fspath(path))[1].lower()
    if key not in _SAVE_FORMATS:
        shown = _one_line(format or os.fspath(path))
        raise BadInputError(f"Cannot save as {shown}: please use a .png, .jpg, .webp, .bmp or .tif file name.",
                            zh=f"无法保存为 {shown}：请使用 .png、.jpg、.webp、.bmp 或 .tif 文件名。")
    return _SAVE_FORMATS[key]


def _encode(rgb: Image.Image, alpha: Image.Image | None, format_name: str) -> bytes:
    if rgb.mode != "RGB":
        raise ValueError(f"rgb must be a mode 'RGB' image, got mode {rgb.mode!r}")
    if alpha is not None and (alpha.mode != "L" or alpha.size != rgb.size):
        raise ValueError(
            f"alpha must be a mode 'L' image of size {rgb.size}, got mode {alpha.mode!r} size {alpha.size}"
        )
    image = rgb
    if alpha is not None and format_name == "JPEG":
        image = Image.composite(rgb, Image.new("RGB", rgb.size, (255, 255, 255)), alpha)
    elif alpha is not None:
        image = rgb.copy()
        image.putalpha(alpha)
    buffer = io.BytesIO()
    if format_name == "JPEG":
        image.save(buffer, "JPEG", quality=95)
    elif format_name == "WEBP":
        image.save(buffer, "WEBP", quality=95, exact=True)
    else:
        image.save(buffer, format_name)  # PNG, BMP, TIFF: lossless, alpha kept
    return buffer.getvalue()
