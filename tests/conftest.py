"""Shared fixtures: every test runs offline against tiny random-weight models built once per run."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["EDIT_EVERYTHING_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory):
    """A private model cache for this test run; the tiny models are built into it on first use."""
    folder = tmp_path_factory.mktemp("model-cache")
    previous = os.environ.get("EDIT_EVERYTHING_CACHE")
    os.environ["EDIT_EVERYTHING_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("EDIT_EVERYTHING_CACHE", None)
    else:
        os.environ["EDIT_EVERYTHING_CACHE"] = previous


@pytest.fixture(scope="session")
def tiny_models(model_cache):
    """The tiny preset's models, loaded through the same loaders as the real presets."""
    from tools.models import load_models

    return load_models("tiny")


@pytest.fixture(scope="session")
def cat_photo() -> Image.Image:
    """A real photo: scikit-image's chelsea (a cat), 451×300 RGB."""
    import skimage.data

    return Image.fromarray(skimage.data.chelsea())


@pytest.fixture(scope="module")
def editor(tiny_models):
    """An editor on the tiny models that takes one diffusion step (modules may define their own)."""
    from agent.editor import Editor, EditSettings

    return Editor(tiny_models, EditSettings(steps=1))


@pytest.fixture(scope="module")
def small_photo(cat_photo):
    """The cat photo at 160×106, for tests that run many turns."""
    return cat_photo.resize((160, 106))


@pytest.fixture
def photo_file(tmp_path, cat_photo):
    path = tmp_path / "cat.jpg"
    cat_photo.save(path, quality=95)
    return path


def changed_pixels(before: Image.Image, after: Image.Image) -> np.ndarray:
    """bool HxW: where two same-size RGB images differ."""
    return (np.asarray(before) != np.asarray(after)).any(axis=2)
