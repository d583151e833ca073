"""Loading and saving user images: every odd file is generated here, in tmp_path."""
from __future__ import annotations

import io
import random
import struct
import sys
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile, features
from skimage import data as samples

from tools import images
from tools.errors import BadInputError
from tools.images import (
    DEFAULT_MAX_PIXELS,
    MIN_SIDE,
    LoadedImage,
    downscale_for_work,
    image_to_png_bytes,
    load_image,
    save_image,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def cat() -> Image.Image:
    return Image.fromarray(samples.chelsea())  # 451x300 RGB photo


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def write(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def close_to(pixel, expected, tolerance=12) -> bool:
    return all(abs(int(a) - int(b)) <= tolerance for a, b in zip(pixel, expected))


def refusal(source, **limits) -> BadInputError:
    """The BadInputError `load_image` raises for `source`, checked to be one line in both languages."""
    with pytest.raises(BadInputError) as caught:
        load_image(source, **limits)
    error = caught.value
    assert error.message and error.message_zh and error.message_zh != error.message
    assert "\n" not in error.message and "\n" not in error.message_zh
    return error


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny 1-bit grey PNG whose header claims `width`x`height` (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


# --- what is accepted ----------------------------------------------------------------------------

def test_plain_jpeg_photo_from_path_str_and_bytes(tmp_path):
    path = write(tmp_path, "cat.jpg", encoded(cat(), "JPEG", quality=95))
    for source in (path, str(path), path.read_bytes()):
        loaded = load_image(source)
        assert isinstance(loaded, LoadedImage)
        assert loaded.rgb.mode == "RGB" and loaded.size == (451, 300)
        assert loaded.alpha is None and loaded.format == "JPEG" and loaded.notes == ()


def test_extension_that_lies_reports_the_real_format(tmp_path):
    path = write(tmp_path, "photo.jpg", encoded(cat(), "PNG"))
    loaded = load_image(path)
    assert loaded.format == "PNG"
    assert np.array_equal(np.asarray(loaded.rgb), samples.chelsea())


def test_cmyk_jpeg_becomes_rgb_with_the_right_colours(tmp_path):
    cmyk = Image.new("CMYK", (64, 32), (0, 255, 255, 0))  # red
    cmyk.paste((255, 255, 0, 0), (32, 0, 64, 32))  # blue on the right half
    loaded = load_image(write(tmp_path, "print.jpg", encoded(cmyk, "JPEG", quality=95)))
    assert loaded.rgb.mode == "RGB" and loaded.format == "JPEG"
    assert close_to(loaded.rgb.getpixel((8, 16)), RED)
    assert close_to(loaded.rgb.getpixel((56, 16)), BLUE)


def test_embedded_srgb_profile_keeps_colours_and_a_broken_profile_is_ignored(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for profile in (srgb, b"not an ICC profile at all"):
        content = encoded(cat(), "PNG", icc_profile=profile)
        loaded = load_image(write(tmp_path, "tagged.png", content))
        difference = np.abs(np.asarray(loaded.rgb, np.int16) - samples.chelsea().astype(np.int16))
        assert difference.max() <= 2


def test_phone_mpo_jpeg_counts_as_jpeg_without_a_frame_note(tmp_path):
    frames = [cat(), cat().resize((160, 106))]
    content = encoded(frames[0], "MPO", save_all=True, append_images=frames[1:])
    loaded = load_image(write(tmp_path, "phone.jpg", content))
    assert loaded.format == "JPEG" and loaded.notes == () and loaded.size == (451, 300)


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path):
    ramp = np.tile(np.arange(0, 65536, 257, dtype=np.uint16), (20, 1))  # 256 levels, 0..65535
    image = Image.fromarray(ramp)
    assert image.mode == "I;16"
    loaded = load_image(write(tmp_path, "scan.png", encoded(image, "PNG")))
    grey = np.asarray(loaded.rgb)[0, :, 0]
    assert np.array_equal(grey, np.arange(256))


def test_16_bit_colour_png_keeps_its_colours(tmp_path):
    rgb16 = np.zeros((20, 40, 3), np.uint16)
    rgb16[:, :20] = (0, 0, 65535)  # OpenCV writes BGR: this half is red
    rgb16[:, 20:] = (0, 32896, 0)  # mid green
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), rgb16)
    loaded = load_image(path)
    assert loaded.rgb.getpixel((5, 5)) == RED
    assert close_to(loaded.rgb.getpixel((30, 5)), (0, 128, 0), tolerance=1)


def test_palette_without_transparency_has_no_alpha(tmp_path):
    palette_image = cat().convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    loaded = load_image(write(tmp_path, "p.png", encoded(palette_image, "PNG")))
    assert loaded.rgb.mode == "RGB" and loaded.alpha is None
    assert np.array_equal(np.asarray(loaded.rgb), np.asarray(palette_image.convert("RGB")))


def test_palette_with_transparency_splits_off_alpha(tmp_path):
    image = Image.new("P", (32, 32), 1)
    image.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    image.paste(0, (0, 0, 16, 32))  # left half uses index 0, the transparent one
    loaded = load_image(write(tmp_path, "logo.png", encoded(image, "PNG", transparency=0)))
    assert loaded.alpha is not None and loaded.alpha.mode == "L" and loaded.alpha.size == (32, 32)
    assert loaded.alpha.getpixel((4, 4)) == 0 and loaded.alpha.getpixel((28, 4)) == 255
    assert loaded.rgb.getpixel((28, 4)) == RED


@pytest.mark.parametrize("mode", ["L", "1"])
def test_grey_and_one_bit_become_rgb(tmp_path, mode):
    image = Image.new(mode, (40, 20), 0)
    image.paste(255, (20, 0, 40, 20))
    loaded = load_image(write(tmp_path, f"{mode}.png", encoded(image, "PNG")))
    assert loaded.rgb.mode == "RGB" and loaded.alpha is None
    assert loaded.rgb.getpixel((5, 5)) == (0, 0, 0) and loaded.rgb.getpixel((35, 5)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_split_off_from_rgba_and_la(tmp_path, mode):
    picture = cat().convert(mode[:-1])
    alpha = Image.linear_gradient("L").resize(picture.size)
    picture.putalpha(alpha)
    loaded = load_image(write(tmp_path, f"{mode}.png", encoded(picture, "PNG")))
    assert loaded.rgb.mode == "RGB" and loaded.alpha is not None
    assert np.array_equal(np.asarray(loaded.alpha), np.asarray(alpha))


def test_fully_opaque_alpha_counts_as_no_transparency(tmp_path):
    loaded = load_image(write(tmp_path, "opaque.png", encoded(cat().convert("RGBA"), "PNG")))
    assert loaded.alpha is None


def test_rgba_round_trip_keeps_alpha(tmp_path):
    rgb = cat()
    alpha = Image.new("L", rgb.size, 0)
    alpha.paste(255, (100, 50, 300, 250))
    alpha.paste(128, (0, 0, 50, 50))
    save_image(tmp_path / "cut-out.png", rgb, alpha)
    loaded = load_image(tmp_path / "cut-out.png")
    assert np.array_equal(np.asarray(loaded.alpha), np.asarray(alpha))
    assert np.array_equal(np.asarray(loaded.rgb), np.asarray(rgb))


def test_webp_photo(tmp_path):
    loaded = load_image(write(tmp_path, "cat.webp", encoded(cat(), "WEBP", quality=90)))
    assert loaded.format == "WEBP" and loaded.size == (451, 300)


@pytest.mark.skipif(not features.check("avif"), reason="Pillow built without AVIF")
def test_avif_photo_when_pillow_supports_it(tmp_path):
    loaded = load_image(write(tmp_path, "cat.avif", encoded(cat(), "AVIF", quality=90)))
    assert loaded.format == "AVIF" and loaded.size == (451, 300)


@pytest.mark.parametrize("format", ["GIF", "WEBP"])
def test_animation_gives_first_frame_and_a_note(tmp_path, format):
    frames = [Image.new("RGB", (48, 32), colour) for colour in (RED, GREEN, BLUE)]
    content = encoded(frames[0], format, save_all=True, append_images=frames[1:], duration=100, loop=0)
    loaded = load_image(write(tmp_path, f"anim.{format.lower()}", content))
    assert loaded.format == format
    assert close_to(loaded.rgb.getpixel((10, 10)), RED)
    assert len(loaded.notes) == 1
    assert "3 frames" in loaded.notes[0].en and "3 帧" in loaded.notes[0].zh


def test_single_frame_gif_has_no_note(tmp_path):
    loaded = load_image(write(tmp_path, "still.gif", encoded(cat().convert("P"), "GIF")))
    assert loaded.notes == ()


def _stored_for_orientation(upright: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera stores for an `upright` picture under EXIF `orientation` (EXIF 2.3, 4.6.4)."""
    if orientation == 1:
        return upright
    if orientation == 2:  # row 0 is the top, column 0 the right side
        return upright[:, ::-1]
    if orientation == 3:  # row 0 is the bottom, column 0 the right side
        return upright[::-1, ::-1]
    if orientation == 4:  # row 0 is the bottom, column 0 the left side
        return upright[::-1, :]
    if orientation == 5:  # row 0 is the left side, column 0 the top
        return upright.transpose(1, 0, 2)
    if orientation == 6:  # row 0 is the right side, column 0 the top
        return np.rot90(upright, 1)
    if orientation == 7:  # row 0 is the right side, column 0 the bottom
        return upright[::-1, ::-1].transpose(1, 0, 2)
    return np.rot90(upright, -1)  # 8: row 0 is the left side, column 0 the bottom


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(tmp_path, orientation):
    upright = np.full((40, 64, 3), 200, np.uint8)
    upright[:12, :12] = RED  # top-left marker
    upright[:12, -12:] = GREEN  # top-right marker tells a mirror from a rotation
    stored = Image.fromarray(np.ascontiguousarray(_stored_for_orientation(upright, orientation)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    loaded = load_image(write(tmp_path, "phone.jpg", encoded(stored, "JPEG", quality=95, exif=exif)))
    assert loaded.size == (64, 40)
    assert close_to(loaded.rgb.getpixel((4, 4)), RED, tolerance=30)
    assert close_to(loaded.rgb.getpixel((59, 4)), GREEN, tolerance=30)
    assert close_to(loaded.rgb.getpixel((4, 35)), (200, 200, 200), tolerance=30)


def test_largest_allowed_image_loads_and_one_more_row_is_refused(tmp_path):
    width, height = 8000, DEFAULT_MAX_PIXELS // 8000
    at_limit = write(tmp_path, "big.png", encoded(Image.new("1", (width, height), 1), "PNG"))
    assert load_image(at_limit).size == (width, height)
    over = write(tmp_path, "bigger.png", encoded(Image.new("1", (width, height + 1), 1), "PNG"))
    assert "megapixels" in refusal(over).message


def test_pixel_limit_is_checked_before_decoding(tmp_path, monkeypatch):
    path = write(tmp_path, "photo.png", encoded(cat(), "PNG"))
    decoded = []
    original_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(self) or original_load(self))
    error = refusal(path, max_pixels=100_000)
    assert "451x300" in error.message and "0.1 megapixels" in error.message
    assert decoded == []


# --- what is refused -------------------------------------------------------------------------------

def test_missing_path(tmp_path):
    assert "No file found" in refusal(tmp_path / "nowhere.png").message


def test_directory(tmp_path):
    assert "folder" in refusal(tmp_path).message


def test_zero_bytes(tmp_path):
    assert "empty" in refusal(write(tmp_path, "empty.jpg", b"")).message
    assert "empty" in refusal(b"").message


@pytest.mark.parametrize("content", [b"hello, this is a text file\n", "把猫换成狗".encode(), b"\x00" * 100])
def test_not_an_image(tmp_path, content):
    assert "not an image" in refusal(write(tmp_path, "notes.png", content)).message


def test_svg_is_refused_with_advice_to_export_png(tmp_path):
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"/>'
    assert "SVG" in refusal(write(tmp_path, "logo.svg", svg)).message


@pytest.mark.parametrize("format", ["JPEG", "PNG"])
def test_truncated_file(tmp_path, format):
    content = encoded(cat(), format)
    error = refusal(write(tmp_path, "half", content[: len(content) // 2]))
    assert "damaged or incomplete" in error.message


def test_over_max_bytes(tmp_path):
    path = write(tmp_path, "cat.png", encoded(cat(), "PNG"))
    assert "MB limit" in refusal(path, max_bytes=10_000).message
    assert "MB limit" in refusal(path.read_bytes(), max_bytes=10_000).message


@pytest.mark.parametrize("size", [(10_000, 10_000), (20_000, 20_000), (65_535, 65_535)])
def test_decompression_bombs_are_refused_from_the_header(tmp_path, size):
    bomb = png_header_claiming(*size)
    assert len(bomb) < 200
    for max_pixels in (DEFAULT_MAX_PIXELS, 10**12):  # Pillow's own guard catches what we let through
        assert "too large" in refusal(bomb, max_pixels=max_pixels).message


def test_heic_without_plugin_is_refused_with_advice(monkeypatch):
    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import fails as if not installed
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    error = refusal(heic)
    assert "HEIC" in error.message and "JPEG" in error.message


def test_avif_without_plugin_is_refused_with_advice(monkeypatch):
    monkeypatch.setattr(images, "_can_open", lambda format_name: format_name not in ("AVIF", "HEIF"))
    avif = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 200
    assert "AVIF" in refusal(avif).message


@pytest.mark.parametrize("size", [(1, 1), (10_000, 10), (15, 400), (MIN_SIDE - 1, MIN_SIDE)])
def test_tiny_and_degenerate_images(tmp_path, size):
    error = refusal(write(tmp_path, "tiny.png", encoded(Image.new("RGB", size), "PNG")))
    assert f"{size[0]}x{size[1]}" in error.message and f"{MIN_SIDE} pixels" in error.message


def test_smallest_allowed_image():
    assert load_image(encoded(Image.new("RGB", (MIN_SIDE, MIN_SIDE)), "PNG")).size == (MIN_SIDE, MIN_SIDE)


def test_formats_outside_the_list_are_refused(tmp_path):
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n" + b"0 0 moveto\n" * 20
    assert "not an image" in refusal(write(tmp_path, "art.eps", eps)).message


def test_path_with_a_newline_still_gives_a_one_line_message(tmp_path):
    refusal(tmp_path / "evil\nname.png")


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about some broken TIFF tags
def test_random_and_corrupted_bytes_only_ever_raise_bad_input():
    rng = random.Random(7)
    valid = [encoded(cat().resize((64, 48)), format) for format in ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")]
    inputs = [rng.randbytes(rng.randint(1, 4000)) for _ in range(50)]
    for content in valid:
        for _ in range(40):
            corrupted = bytearray(content)
            for _ in range(rng.randint(1, 8)):
                corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
            inputs.append(bytes(corrupted[: rng.randint(8, len(corrupted))]))
    for content in inputs:
        try:
            loaded = load_image(content)
        except BadInputError as error:
            assert "\n" not in error.message
        else:
            assert loaded.rgb.mode == "RGB"


# --- saving ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, format", [("a.png", "PNG"), ("a.JPG", "JPEG"), ("a.jpeg", "JPEG"), ("a.webp", "WEBP")])
def test_save_format_follows_the_extension(tmp_path, name, format):
    save_image(tmp_path / name, cat())
    assert load_image(tmp_path / name).format == format
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_save_format_argument_wins_over_the_extension(tmp_path):
    save_image(tmp_path / "export.bin", cat(), format="jpg")
    assert load_image(tmp_path / "export.bin").format == "JPEG"


def test_save_unknown_format_is_refused(tmp_path):
    with pytest.raises(BadInputError):
        save_image(tmp_path / "a.xyz", cat())
    assert list(tmp_path.iterdir()) == []


def test_save_jpeg_with_alpha_flattens_onto_white(tmp_path):
    rgb = Image.new("RGB", (32, 32), (0, 0, 0))
    alpha = Image.new("L", (32, 32), 0)
    alpha.paste(255, (16, 0, 32, 32))
    save_image(tmp_path / "flat.jpg", rgb, alpha)
    loaded = load_image(tmp_path / "flat.jpg")
    assert loaded.alpha is None
    assert close_to(loaded.rgb.getpixel((4, 16)), (255, 255, 255))
    assert close_to(loaded.rgb.getpixel((28, 16)), (0, 0, 0))


def test_save_webp_keeps_alpha(tmp_path):
    alpha = Image.new("L", cat().size, 255)
    alpha.paste(0, (0, 0, 100, 100))
    save_image(tmp_path / "a.webp", cat(), alpha)
    loaded = load_image(tmp_path / "a.webp")
    assert loaded.alpha is not None and loaded.alpha.getpixel((50, 50)) == 0


def test_save_checks_modes_and_sizes(tmp_path):
    with pytest.raises(ValueError, match="rgb must be"):
        save_image(tmp_path / "a.png", cat().convert("RGBA"))
    with pytest.raises(ValueError, match="alpha must be"):
        save_image(tmp_path / "a.png", cat(), Image.new("L", (10, 10)))


def test_png_bytes_round_trip():
    rgb = Image.fromarray(samples.coffee())
    assert np.array_equal(np.asarray(load_image(image_to_png_bytes(rgb)).rgb), samples.coffee())
    alpha = Image.new("L", rgb.size, 7)
    with Image.open(io.BytesIO(image_to_png_bytes(rgb, alpha))) as reread:
        assert reread.format == "PNG" and reread.mode == "RGBA"


# --- working copies --------------------------------------------------------------------------------

def test_downscale_for_work_keeps_small_images():
    photo = Image.fromarray(samples.astronaut())  # 512x512
    work, scale = downscale_for_work(photo, 1024)
    assert work is photo and scale == 1.0


def test_downscale_for_work_shrinks_the_longer_side():
    photo = Image.fromarray(samples.coffee())  # 600x400
    work, scale = downscale_for_work(photo, 300)
    assert work.size == (300, 200) and work.mode == "RGB" and scale == 0.5


def test_downscale_for_work_never_makes_an_empty_side():
    strip = Image.new("RGB", (20_000, 16))
    work, scale = downscale_for_work(strip, 1024)
    assert work.size == (1024, 1) and scale == pytest.approx(1024 / 20_000)
    with pytest.raises(ValueError):
        downscale_for_work(strip, 0)
