"""Presets resolve without network; a missing model is one clear sentence."""
import pytest

from tools.device import resolve_device
from tools.errors import BadInputError, ModelUnavailableError
from tools.models import load_models
from tools.presets import COMPONENT_ENV, PRESET_NAMES, get_preset


def test_each_preset_names_its_models_without_touching_the_network():
    auto, zh, en = get_preset("auto"), get_preset("zh"), get_preset("en")
    assert auto.sources["clip_en"] == "openai/clip-vit-large-patch14"
    assert auto.sources["clip_zh"] == "ViT-L-14"
    assert auto.sources["sd_en"] == "stable-diffusion-v1-5/stable-diffusion-inpainting"
    assert auto.sources["sd_zh"] == "IDEA-CCNL/Taiyi-Stable-Diffusion-1B-Chinese-v0.1"
    assert (auto.rankers, auto.inpainters) == ({"zh": "clip_zh", "en": "clip_en"}, {"zh": "sd_zh", "en": "sd_en"})
    assert set(zh.rankers.values()) == {"clip_zh"} and set(en.inpainters.values()) == {"sd_en"}
    assert set(PRESET_NAMES) == {"auto", "zh", "en", "tiny"}


def test_tiny_preset_points_at_local_directories(model_cache):
    tiny = get_preset("tiny")
    assert all(str(model_cache) in path for path in tiny.sources.values())
    assert tiny.not_found_below == 0.0


def test_a_local_copy_wins_through_the_environment_or_an_override(monkeypatch, tmp_path):
    monkeypatch.setenv(COMPONENT_ENV["sd_zh"], str(tmp_path / "taiyi"))
    assert get_preset("auto").sources["sd_zh"] == str(tmp_path / "taiyi")
    assert get_preset("auto", {"sam": "vit_b"}).sam_variant == "vit_b"


def test_unknown_preset_or_component_is_refused():
    with pytest.raises(BadInputError, match="Unknown preset 'huge'"):
        get_preset("huge")
    with pytest.raises(BadInputError, match="Unknown model component"):
        get_preset("en", {"vae": "x"})


@pytest.mark.parametrize("preset, component", [("en", "sd_en"), ("zh", "sd_zh"), ("en", "clip_en"), ("zh", "clip_zh"),
                                               ("en", "sam")])
def test_a_missing_model_offline_is_one_sentence_naming_it_and_the_setting(model_cache, preset, component):
    models = load_models(preset, device="cpu")
    load = {"sam": models.segmenter, "clip_en": lambda: models.ranker("en"), "clip_zh": lambda: models.ranker("zh"),
            "sd_en": lambda: models.inpainter("en"), "sd_zh": lambda: models.inpainter("zh")}[component]
    with pytest.raises(ModelUnavailableError) as error:
        load()
    message = error.value.message
    assert models.model_id(component) in message and COMPONENT_ENV[component] in message
    assert "\n" not in message
    assert COMPONENT_ENV[component] in error.value.message_for("zh")


def test_a_corrupted_checkpoint_is_reported_not_crashed(tmp_path, model_cache):
    broken = tmp_path / "sam.pth"
    broken.write_bytes(b"not a checkpoint")
    models = load_models("en", device="cpu", overrides={"sam": str(broken)})
    with pytest.raises(ModelUnavailableError, match="SAM"):
        models.segmenter()


def test_models_are_loaded_once_and_shared(tiny_models):
    assert tiny_models.segmenter() is tiny_models.segmenter()
    assert tiny_models.ranker("zh") is tiny_models.ranker("zh")
    assert tiny_models.inpainter("en") is tiny_models.inpainter("en")


@pytest.fixture
def machine(monkeypatch):
    """Pretend this machine has the given accelerators: machine(cuda=True, mps=False, bf16=False)."""
    import torch

    import tools.device

    def pretend(*, cuda: bool = False, mps: bool = False, bf16: bool = False):
        monkeypatch.delenv("EDIT_EVERYTHING_PRECISION", raising=False)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
        monkeypatch.setattr(tools.device, "cpu_has_native_bf16", lambda: bf16)

    return pretend


@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"),
                                                 (False, False, "cpu")])
def test_device_auto_prefers_cuda_then_mps_then_the_cpu(machine, cuda, mps, expected):
    machine(cuda=cuda, mps=mps)
    assert resolve_device("auto") == expected
    assert resolve_device(" AUTO ") == expected and resolve_device("") == expected


def test_an_explicit_device_is_kept_when_present_and_refused_in_one_line_when_not(machine):
    machine(cuda=True)
    assert resolve_device("cuda:1") == "cuda:1" and resolve_device("cpu") == "cpu"
    with pytest.raises(BadInputError, match="'mps' is not available on this machine"):
        resolve_device("mps")
    with pytest.raises(BadInputError, match="Unknown device 'tpu'") as caught:
        resolve_device("tpu")
    assert "\n" not in caught.value.message and "tpu" in caught.value.message_for("zh")


@pytest.mark.parametrize("value, reason", [("fp8", "Unknown precision 'fp8'"), ("fp16", "fp16 needs a GPU")])
def test_a_precision_this_machine_cannot_run_is_refused_before_loading(monkeypatch, model_cache, value, reason):
    monkeypatch.setenv("EDIT_EVERYTHING_PRECISION", value)
    with pytest.raises(BadInputError) as caught:
        load_models("tiny", device="cpu")
    assert reason in caught.value.message and "\n" not in caught.value.message


@pytest.mark.parametrize("device, bf16, expected", [("cuda", False, "float16"), ("cuda:0", True, "float16"),
                                                  ("mps", True, "float32"), ("cpu", True, "bfloat16"),
                                                  ("cpu", False, "float32")])
def test_real_presets_pick_the_fastest_precision_the_device_runs_well(machine, device, bf16, expected):
    import torch

    from tools.models import Models

    machine(cuda=device.startswith("cuda"), mps=device == "mps", bf16=bf16)
    assert Models(preset=get_preset("auto"), device=device).dtype == getattr(torch, expected)


@pytest.mark.parametrize("setting, bf16, expected", [("fp32", True, "float32"), ("bf16", False, "bfloat16"),
                                                     (" BF16 ", False, "bfloat16")])
def test_the_precision_variable_overrides_the_preset_and_the_machine(machine, monkeypatch, setting, bf16, expected):
    import torch

    from tools.models import Models

    machine(bf16=bf16)
    monkeypatch.setenv("EDIT_EVERYTHING_PRECISION", setting)
    assert Models(preset=get_preset("auto"), device="cpu").dtype == getattr(torch, expected)


def test_the_tiny_preset_stays_in_fp32_even_on_a_bf16_cpu(machine, monkeypatch):
    import torch

    from tools.models import Models

    machine(bf16=True)
    monkeypatch.delenv("EDIT_EVERYTHING_PRECISION", raising=False)
    assert Models(preset=get_preset("tiny"), device="cpu").dtype == torch.float32


def test_an_edit_in_bf16_changes_only_its_mask(monkeypatch, model_cache, cat_photo):
    """bf16 (the real presets' choice on a CPU with bf16 instructions) through SAM, point prompts and SD."""
    import numpy as np
    import torch
    from conftest import changed_pixels

    from agent.editor import Editor, EditSettings

    monkeypatch.setenv("EDIT_EVERYTHING_PRECISION", "bf16")
    models = load_models("tiny", device="cpu")
    photo = cat_photo.resize((240, 160))
    result = Editor(models, EditSettings(steps=1)).edit(photo, source="cat", target="dog")
    assert models.segmenter().dtype == torch.bfloat16 and models.inpainter("en").pipe.unet.dtype == torch.bfloat16
    changed = changed_pixels(photo, result.image)
    assert changed.any() and not (changed & ~result.mask).any()
    point = models.segmenter().segment_point(photo, (120, 80))
    assert point.mask.shape == (160, 240) and np.isfinite(point.predicted_iou)
