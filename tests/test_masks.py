"""Mask operations on small hand-made masks and on real photos from skimage.data."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image
from skimage import data as samples
from skimage.draw import disk, ellipse

from tools.masks import (
    box_of,
    dilate,
    erode,
    feather,
    mask_to_png_bytes,
    outline,
    overlay,
    paste_feathered,
    resize_mask,
    save_mask,
    union,
)


def square(size=(40, 60), top_left=(10, 20), side=10) -> np.ndarray:
    """A bool (H, W) mask with one `side`x`side` square whose top-left is (row, col) `top_left`."""
    mask = np.zeros(size, bool)
    row, col = top_left
    mask[row:row + side, col:col + side] = True
    return mask


def cat_mask() -> np.ndarray:
    """A rough ellipse over the cat's head in skimage's chelsea() photo (300x451)."""
    mask = np.zeros((300, 451), bool)
    mask[ellipse(150, 200, 110, 130, shape=mask.shape)] = True
    return mask


# --- grow, shrink, box -------------------------------------------------------------------------------

def test_dilate_grows_by_a_disk():
    grown = dilate(square(), 3)
    assert box_of(grown) == (17, 7, 33, 23)
    assert grown[10:20, 20:30].all()
    assert not grown[7, 17]  # the corner of the box is farther than 3 px from the square


def test_erode_shrinks_from_every_edge():
    assert box_of(erode(square(), 2)) == (22, 12, 28, 18)
    assert not erode(square(), 5).any()


def test_zero_px_is_a_copy_and_negative_px_is_refused():
    mask = square()
    same = dilate(mask, 0)
    assert np.array_equal(same, mask) and same is not mask
    with pytest.raises(ValueError, match="px"):
        erode(mask, -1)


def test_mask_touching_the_frame_is_not_eroded_along_the_frame():
    mask = np.zeros((20, 20), bool)
    mask[:, :10] = True  # the left half, touching the left, top and bottom edges
    assert box_of(erode(mask, 2)) == (0, 0, 8, 20)


def test_empty_mask_stays_empty():
    empty = np.zeros((8, 8), bool)
    assert not dilate(empty, 3).any() and not erode(empty, 3).any()
    assert box_of(empty) is None


def test_box_of_is_exclusive_at_the_far_end():
    mask = np.zeros((5, 7), bool)
    mask[2, 3] = True
    assert box_of(mask) == (3, 2, 4, 3)
    assert box_of(np.ones((5, 7), bool)) == (0, 0, 7, 5)


def test_integer_masks_are_accepted_and_other_shapes_are_not():
    assert box_of(square().astype(np.uint8) * 255) == (20, 10, 30, 20)
    with pytest.raises(ValueError, match="2-D"):
        box_of(np.zeros((4, 4, 3), bool))
    with pytest.raises(ValueError, match="dtype"):
        box_of(np.zeros((4, 4), np.float32))


# --- feather --------------------------------------------------------------------------------------------

def test_feather_is_zero_outside_and_one_deep_inside():
    mask = square(size=(60, 60), top_left=(10, 10), side=40)
    alpha = feather(mask, 5)
    assert alpha.dtype == np.float32 and alpha.shape == mask.shape
    assert np.all(alpha[~mask] == 0.0)
    assert np.all(alpha[erode(mask, 5)] == 1.0)
    assert 0.0 < alpha[10, 30] < 0.2  # the edge row is barely on
    row = alpha[30, 10:31]
    assert np.all(np.diff(row) >= 0)  # rises towards the centre


def test_feather_zero_px_is_the_hard_mask():
    mask = square()
    assert np.array_equal(feather(mask, 0), mask.astype(np.float32))


# --- resize, union, files ---------------------------------------------------------------------------------

def test_resize_mask_takes_width_then_height():
    small = square(size=(40, 60), top_left=(10, 20), side=10)
    big = resize_mask(small, (120, 80))
    assert big.shape == (80, 120) and big.dtype == bool
    assert box_of(big) == (40, 20, 60, 40)
    assert np.array_equal(resize_mask(big, (60, 40)), small)


def test_union_of_masks():
    both = union([square(top_left=(0, 0)), square(top_left=(30, 50))])
    assert both.sum() == 200 and box_of(both) == (0, 0, 60, 40)
    with pytest.raises(ValueError, match="same shape"):
        union([square(), np.zeros((5, 5), bool)])
    with pytest.raises(ValueError, match="at least one"):
        union([])


def test_mask_png_is_one_bit_and_round_trips():
    mask = cat_mask()
    with Image.open(io.BytesIO(mask_to_png_bytes(mask))) as image:
        assert image.mode == "1" and image.size == (451, 300)
        assert np.array_equal(np.asarray(image), mask)


def test_save_mask_writes_atomically(tmp_path):
    save_mask(tmp_path / "changed.png", cat_mask())
    assert os.listdir(tmp_path) == ["changed.png"]
    with Image.open(tmp_path / "changed.png") as image:
        assert np.array_equal(np.asarray(image), cat_mask())


# --- drawing -------------------------------------------------------------------------------------------

def test_outline_is_a_ring_inside_the_mask():
    mask = square(size=(40, 40), top_left=(10, 10), side=20)
    ring = outline(mask, 2)
    assert np.all(mask[ring])  # inside the mask
    assert ring[10, 20] and ring[11, 20] and not ring[12, 20]  # two pixels thick
    assert not ring[20, 20]  # hollow


def test_overlay_tints_the_mask_and_leaves_the_rest_alone():
    photo = Image.fromarray(samples.chelsea())
    mask = cat_mask()
    shown = np.asarray(overlay(photo, mask, (0, 255, 0), 0.5))
    original = np.asarray(photo)
    assert np.array_equal(shown[~mask], original[~mask])
    assert tuple(shown[150, 200]) == tuple(np.rint(original[150, 200] * 0.5 + [0, 127.5, 0]).astype(int))
    top = box_of(mask)[1]
    assert tuple(shown[top, 200]) == (0, 255, 0)  # on the outline, at the top of the ellipse


def test_overlay_checks_its_inputs():
    photo = Image.fromarray(samples.chelsea())
    with pytest.raises(ValueError, match="does not match"):
        overlay(photo, np.zeros((451, 300), bool))
    with pytest.raises(ValueError, match="alpha"):
        overlay(photo, cat_mask(), alpha=2.0)


# --- pasting ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("feather_px", [0, 1, 6, 25])
def test_paste_feathered_outside_the_mask_is_byte_identical(feather_px):
    original = Image.fromarray(samples.coffee())  # 600x400
    noise = np.random.default_rng(0).integers(0, 256, (400, 600, 3), dtype=np.uint8)
    generated = Image.fromarray(noise)
    mask = np.zeros((400, 600), bool)
    mask[disk((200, 300), 120, shape=mask.shape)] = True
    mask[0:50, 550:600] = True  # a piece in the corner, touching the frame

    result = np.asarray(paste_feathered(original, generated, mask, feather_px))
    assert result.dtype == np.uint8 and result.shape == (400, 600, 3)
    assert np.array_equal(result[~mask], np.asarray(original)[~mask])
    deep = erode(mask, feather_px)
    assert np.array_equal(result[deep], noise[deep])


def test_paste_feathered_blends_the_edge():
    black = Image.new("RGB", (64, 64), (0, 0, 0))
    white = Image.new("RGB", (64, 64), (255, 255, 255))
    mask = square(size=(64, 64), top_left=(16, 16), side=32)
    result = np.asarray(paste_feathered(black, white, mask, 8))[32, :, 0]
    assert result[15] == 0 and 0 < result[16] < 255 and result[32] == 255
    assert np.all(np.diff(result[16:25].astype(int)) >= 0)


def test_paste_feathered_with_an_empty_mask_returns_the_original():
    original = Image.fromarray(samples.astronaut())
    result = paste_feathered(original, Image.new("RGB", original.size), np.zeros((512, 512), bool), 4)
    assert result is not original and result.tobytes() == original.tobytes()


def test_paste_feathered_checks_sizes_and_modes():
    original = Image.fromarray(samples.astronaut())
    mask = np.zeros((512, 512), bool)
    with pytest.raises(ValueError, match="generated"):
        paste_feathered(original, Image.new("RGB", (10, 10)), mask, 4)
    with pytest.raises(ValueError, match="original"):
        paste_feathered(original.convert("RGBA"), original, mask, 4)
