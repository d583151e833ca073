"""`edit-everything edit`: what a person at a terminal sees, including every refusal."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ui.cli import main

TINY = ["--preset", "tiny"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_edit_writes_a_full_resolution_result_and_its_mask(capsys, tiny_models, photo_file, tmp_path):
    out, mask_file = tmp_path / "out.png", tmp_path / "mask.png"
    code, stdout, err = run(capsys, "edit", photo_file, "--source", "猫", "--target", "狗", "-o", out,
                            "--save-mask", mask_file, "--json", *TINY)
    assert code == 0, err
    before, after = Image.open(photo_file).convert("RGB"), Image.open(out)
    assert after.size == before.size
    mask = Image.open(mask_file)
    assert mask.mode == "1" and mask.size == before.size
    allowed = np.asarray(mask, dtype=bool)
    changed = (np.asarray(before) != np.asarray(after.convert("RGB"))).any(axis=2)
    assert not (changed & ~allowed).any() and changed.any()
    report = json.loads(stdout.strip().splitlines()[-1])
    assert report["chosen"]["box"] and report["candidates"][0]["score"] == report["chosen"]["score"]
    assert {"segment", "rank", "inpaint", "paste"} <= set(report["timings"])
    assert report["seed"] == 0 and report["model_ids"]["inpainter"].endswith("sd_zh")


def test_edit_accepts_a_natural_instruction_with_several_steps(capsys, tiny_models, photo_file, tmp_path):
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "edit", photo_file, "把猫换成狗，然后把背景变成蓝色", "-o", out, "--json", *TINY)
    assert code == 0, err
    report = json.loads(stdout.strip().splitlines()[-1])
    assert [s["source"] for s in report["steps"]] == ["猫", "背景"]


def test_remove_and_alpha_is_kept(capsys, tiny_models, tmp_path, cat_photo):
    rgba = cat_photo.convert("RGBA")
    rgba.putalpha(Image.new("L", cat_photo.size, 200))
    source, out = tmp_path / "cat.png", tmp_path / "out.png"
    rgba.save(source)
    code, _, err = run(capsys, "edit", source, "--source", "cat", "--remove", "--remove-method", "opencv", "-o", out,
                       *TINY)
    assert code == 0, err
    result = Image.open(out)
    assert result.mode == "RGBA" and np.asarray(result)[..., 3].max() == 200


BAD_SETTINGS = [
    (["--steps", "-1"], "steps"),
    (["--guidance", "nan"], "guidance"),
    (["--seed", str(2 ** 40)], "seed"),
    (["--preset", "huge"], "Unknown preset"),
]


@pytest.mark.parametrize("extra, words", BAD_SETTINGS)
def test_nonsense_settings_are_refused_in_one_line(capsys, photo_file, tmp_path, extra, words):
    out = tmp_path / "out.png"
    argv = ["edit", photo_file, "--source", "cat", "--target", "dog", "-o", out, "--preset", "tiny", *extra]
    code, _, err = run(capsys, *argv)
    assert code == 2 and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def bad_files(tmp_path: Path, photo_file: Path) -> dict:
    data = photo_file.read_bytes()
    files = {"zero-byte.jpg": b"", "notes.png": b"this is text, not a picture",
             "truncated.jpg": data[: len(data) // 2], "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>'}
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(content)
    paths["missing.jpg"] = tmp_path / "missing.jpg"
    return paths


@pytest.mark.parametrize("name", ["zero-byte.jpg", "notes.png", "truncated.jpg", "drawing.svg", "missing.jpg"])
def test_broken_images_are_refused_with_no_output_file(capsys, photo_file, tmp_path, name):
    path = bad_files(tmp_path, photo_file)[name]
    out = tmp_path / "out.png"
    code, _, err = run(capsys, "edit", path, "--source", "cat", "--target", "dog", "-o", out, *TINY)
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("extra, words", [(["--source", "  ", "--target", "dog"], "what to edit"),
                                          (["--source", "cat"], "what to paint"),
                                          (["今天天气怎么样"], "不是编辑指令")])
def test_empty_prompts_or_chit_chat_are_refused(capsys, photo_file, tmp_path, extra, words):
    code, _, err = run(capsys, "edit", photo_file, *extra, "-o", tmp_path / "o.png", *TINY)
    assert code == 2 and words in err


def test_a_missing_model_names_it_and_the_setting_to_use(capsys, model_cache, photo_file, tmp_path):
    code, _, err = run(capsys, "edit", photo_file, "--source", "cat", "--target", "dog", "-o", tmp_path / "o.png",
                       "--preset", "en", "--model", "sam=vit_b")
    assert code == 2 and "vit_b" in err and "EDIT_EVERYTHING_SAM" in err


def test_the_console_script_runs_end_to_end(model_cache, tiny_models, photo_file, tmp_path):
    out = tmp_path / "out.png"
    script = Path(sys.executable).parent / "edit-everything"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ui.cli"]
    done = subprocess.run([*command, "edit", str(photo_file), "--source", "cat", "--target", "dog", "-o", str(out),
                           *TINY], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert Image.open(out).size == Image.open(photo_file).size
