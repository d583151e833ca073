"""A local file that is not the model a component needs is one line saying so; a wrong path for a
component a turn never uses does not block the turn."""
import pytest

from tools.errors import ModelUnavailableError
from tools.models import load_models
from ui.cli import main

NOT_A = {"sam": "not a SAM checkpoint", "clip_en": "not a CLIP model folder", "clip_zh": "not a cn_clip checkpoint",
         "sd_en": "not a diffusers pipeline folder", "sd_zh": "not a diffusers pipeline folder"}


def edit(photo_file, tmp_path, instruction, *models):
    argv = ["edit", str(photo_file), instruction, "-o", str(tmp_path / "out.png"), "--preset", "tiny", "--steps", "1"]
    for model in models:
        argv += ["--model", model]
    return main(argv)


def test_a_photo_given_as_the_sam_checkpoint_is_named_as_not_a_sam_checkpoint(capsys, model_cache, photo_file,
                                                                               tmp_path):
    assert edit(photo_file, tmp_path, "replace the cat with a dog", f"sam={photo_file}") == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and str(photo_file) in error and "not a SAM checkpoint" in error
    assert "--model sam" in error and "EDIT_EVERYTHING_SAM" in error
    assert "weights_only" not in error and "connected machine" not in error
    assert edit(photo_file, tmp_path, "把猫换成狗", f"sam={photo_file}") == 2
    error = capsys.readouterr().err.strip()
    assert "不是 SAM 检查点" in error and "weights_only" not in error and "联网" not in error
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("component, language", [("clip_en", "en"), ("clip_zh", "zh"), ("sd_en", "en"),
                                                 ("sd_zh", "zh")])
@pytest.mark.parametrize("given", ["a photo", "an empty folder"])
def test_a_file_or_folder_that_is_not_the_model_is_named(model_cache, photo_file, tmp_path, component, language,
                                                         given):
    path = photo_file if given == "a photo" else tmp_path / "empty"
    path.mkdir(exist_ok=True) if given == "an empty folder" else None
    models = load_models("tiny", device="cpu", overrides={component: str(path)})
    load = models.ranker if component.startswith("clip") else models.inpainter
    with pytest.raises(ModelUnavailableError) as caught:
        load(language)
    message = caught.value.message
    assert NOT_A[component] in message and str(path) in message and f"--model {component}" in message
    assert "\n" not in message and "connected machine" not in message
    assert f"--model {component}" in caught.value.message_for("zh") and "不是" in caught.value.message_for("zh")


def test_a_missing_model_the_turn_does_not_use_does_not_block_it(capsys, model_cache, photo_file, tmp_path):
    assert edit(photo_file, tmp_path, "把猫换成狗", "clip_en=/missing/clip", "sd_en=/missing/sd") == 0
    assert (tmp_path / "out.png").is_file()


def test_a_missing_model_the_turn_uses_is_one_line_naming_it(capsys, model_cache, photo_file, tmp_path):
    assert edit(photo_file, tmp_path, "replace the cat with a dog", "clip_en=/missing/clip") == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "/missing/clip" in error and "EDIT_EVERYTHING_CLIP_EN" in error
    assert "connected machine" not in error


def test_an_unknown_component_is_still_refused_before_any_work(capsys, model_cache, photo_file, tmp_path):
    assert edit(photo_file, tmp_path, "replace the cat with a dog", "vae=/x") == 2
    assert "Unknown model component 'vae'" in capsys.readouterr().err


def test_a_local_sam_vit_b_checkpoint_loads_under_a_preset_that_names_vit_h(tmp_path):
    """Pointing EDIT_EVERYTHING_SAM / --model sam= at the official sam_vit_b file must just work."""
    import torch
    from segment_anything.build_sam import sam_model_registry

    from tools.load_sam import load_sam

    checkpoint = tmp_path / "my-sam.pth"
    torch.save(sam_model_registry["vit_b"](checkpoint=None).state_dict(), checkpoint)
    sam = load_sam(str(checkpoint), "vit_h", "cpu")
    assert sam.image_encoder.patch_embed.proj.out_channels == 768
