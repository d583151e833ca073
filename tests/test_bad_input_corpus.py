"""The bad-input corpus: every odd image, hostile instruction and nonsense setting gets a one-line
reason (CLI exit code 2) or a proper edit — never a traceback, never a half-written file."""
import json

import numpy as np
import pytest

from bad_inputs import image_cases, instruction_cases, setting_cases
from tools.errors import BadInputError, EditError
from tools.images import load_image
from ui.cli import main

IMAGES = image_cases()
REFUSED = [c for c in IMAGES if not c.accepted]
ACCEPTED = [c for c in IMAGES if c.accepted]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_line(text: str) -> bool:
    return len(text.strip().splitlines()) == 1


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_a_bad_image_is_refused_in_one_line_and_nothing_is_written(capsys, tmp_path, case):
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    out = tmp_path / "out.png"
    code, _, err = cli(capsys, "edit", path, "--source", "cat", "--target", "dog", "-o", out, "--preset", "tiny")
    assert code == 2 and err.startswith("error: ") and one_line(err), err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [case.filename]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.name for c in ACCEPTED])
def test_an_odd_but_valid_image_loads_upright_as_8_bit_rgb(case):
    loaded = load_image(case.data)
    assert loaded.rgb.mode == "RGB" and min(loaded.rgb.size) >= 16
    assert np.asarray(loaded.rgb).dtype == np.uint8
    assert loaded.alpha is None or loaded.alpha.size == loaded.rgb.size
    if case.note:
        assert any(case.note in n.en for n in loaded.notes)


@pytest.mark.parametrize("name", ["cmyk-jpeg", "16-bit-png", "la-png", "animated-webp", "exif-orientation-6",
                                  "png-named-jpg"])
def test_odd_images_are_edited_end_to_end(capsys, tiny_models, tmp_path, name):
    case = next(c for c in ACCEPTED if c.name == name)
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    code, out, err = cli(capsys, "edit", path, "--source", "cat", "--target", "dog", "-o", tmp_path / "out.png",
                         "--preset", "tiny", "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["changed_pixels"] > 0


@pytest.mark.parametrize("name, text", instruction_cases(), ids=[n for n, _ in instruction_cases()])
def test_a_hostile_instruction_never_crashes_the_parser(name, text):
    from agent import parse_instruction

    try:
        commands = parse_instruction(text)
    except BadInputError as error:
        assert len(text) > 2000 and one_line(error.message)
        return
    assert isinstance(commands, list) and commands
    for command in commands:
        for value in (command.source, command.target, command.exclude):
            assert value is None or not any(ord(ch) < 32 or ch in "\u202e\u2067\u200b" for ch in value)


@pytest.mark.parametrize("name, text", instruction_cases(), ids=[n for n, _ in instruction_cases()])
def test_a_hostile_instruction_in_the_cli_is_an_edit_or_a_one_line_refusal(capsys, tiny_models, photo_file,
                                                                         tmp_path, name, text):
    out = tmp_path / "out.png"
    code, _, err = cli(capsys, "edit", photo_file, text, "-o", out, "--preset", "tiny", "--steps", "1",
                       "--remove-method", "opencv")
    assert code in (0, 2), err
    if code == 2:
        assert one_line(err) and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({photo_file.name, *(["out.png"] if code == 0 else [])})


@pytest.fixture(scope="module")
def model_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-models")
    (folder / "notes.txt").write_text("not a model")
    (folder / "sam.pth").write_bytes(b"\x80\x04garbage that is not a checkpoint")
    (folder / "clip").mkdir()
    (folder / "clip" / "clip_cn_vit-l-14.pt").write_bytes(b"PK\x03\x04 broken zip")
    (folder / "sd").mkdir()
    (folder / "sd" / "model_index.json").write_text("{ this is not json")
    (folder / "empty").mkdir()
    return {"text": folder / "notes.txt", "bad_pth": folder / "sam.pth", "bad_pt_dir": folder / "clip",
            "bad_sd_dir": folder / "sd", "empty_dir": folder / "empty"}


SETTINGS = setting_cases({"text": "T", "bad_pth": "P", "bad_pt_dir": "C", "bad_sd_dir": "S", "empty_dir": "E"})


@pytest.mark.parametrize("index", range(len(SETTINGS)), ids=[name for name, _, _ in SETTINGS])
def test_a_nonsense_setting_is_refused_in_one_line(capsys, tiny_models, photo_file, tmp_path, model_files, index):
    name, extra, word = setting_cases(model_files)[index]
    chinese = "_zh" in name
    out = tmp_path / "out.png"
    argv = ["edit", photo_file, "--source", "猫" if chinese else "cat", "--target", "狗" if chinese else "dog",
            "-o", out]
    if "--preset" not in extra:
        argv += ["--preset", "tiny"]
    code, _, err = cli(capsys, *argv, *extra)
    assert code == 2 and one_line(err), err
    assert word.lower() in err.lower()
    assert not out.exists()


def test_the_corpus_is_large_enough():
    counts = {"images": len(IMAGES), "instructions": len(instruction_cases()), "settings": len(SETTINGS)}
    assert sum(counts.values()) >= 200 and min(counts.values()) >= 40, counts


def test_every_error_type_carries_a_chinese_message():
    from tools.errors import CancelledError, ModelUnavailableError, NotFoundError, StorageError

    for kind in (BadInputError, ModelUnavailableError, NotFoundError, StorageError, CancelledError):
        error = kind("english", zh="中文")
        assert isinstance(error, EditError) and error.message_for("zh") == "中文" and error.message_for("en") == "english"


def test_no_line_typed_into_the_chat_ends_it(capsys, monkeypatch, tiny_models, photo_file, tmp_path):
    import io
    import sys

    from bad_inputs import chat_cases

    monkeypatch.chdir(tmp_path)  # relative export names land here
    (tmp_path / "notes.txt").write_text("my notes")
    (tmp_path / "old.zip").write_bytes(b"an older export")
    cases = chat_cases(tmp_path)
    script = b"\n".join(line for _, line in cases) + "\n撤销\n:history\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(script), encoding="utf-8",
                                                       errors="surrogateescape"))
    code, out, err = cli(capsys, "chat", photo_file, "-o", tmp_path / "out", "--data-dir", tmp_path / "data",
                         "--preset", "tiny", "--steps", "1")
    assert code == 0 and "Traceback" not in out + err and "internal error" not in err, err
    assert out.count("\n> ") == len(cases) + 2 and "v0 original" in out  # every line ran, then :history
    assert "出了点问题" not in out and "went wrong" not in out  # each failure was an expected one-liner
    assert (tmp_path / "notes.txt").read_text() == "my notes"
    assert (tmp_path / "old.zip").read_bytes() == b"an older export"
    assert out.rstrip().startswith("会话 ") and "再见" in out
