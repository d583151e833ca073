"""The bad-input corpus: every odd image, hostile instruction and nonsense setting gets a one-line
reason (CLI exit code 2) or a proper edit — never a traceback, never a half-written file."""
import json
import re

import numpy as np
import pytest

import tools.models
from tools.errors import BadInputError
from tools.images import load_image
from ui.cli import main

from bad_inputs import (
    CHAT_REGION_LINES,
    NEW_ACTION_COMMANDS,
    image_cases,
    instruction_cases,
    output_cases,
    region_cases,
    setting_cases,
)

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


@pytest.mark.parametrize("name, outputs, word", output_cases(), ids=[name for name, _, _ in output_cases()])
def test_an_unwritable_output_is_refused_before_any_model_loads(capsys, photo_file, tmp_path, monkeypatch, name,
                                                               outputs, word):
    def refuse(*args, **kwargs):
        raise AssertionError("models were loaded before the outputs were checked")

    monkeypatch.setattr(tools.models, "load_models", refuse)
    folder = tmp_path / "work"
    folder.mkdir()
    argv = [a.format(dir=folder) for a in outputs]
    code, _, err = cli(capsys, "edit", photo_file, "--source", "cat", "--target", "dog", *argv, "--preset", "tiny")
    assert code == 2 and one_line(err) and word in err, err
    assert list(folder.iterdir()) == []


REGIONS = region_cases()


@pytest.fixture(scope="module")
def region_session(tiny_models, small_photo):
    from agent.editor import Editor, EditSettings
    from agent.session.session import Session

    return Session(small_photo, Editor(tiny_models, EditSettings(steps=1)))


@pytest.mark.parametrize("kind, value", [c[1:] for c in REGIONS], ids=[c[0] for c in REGIONS])
def test_a_click_or_box_that_is_no_place_on_the_picture_gets_a_one_line_reply(region_session, kind, value):
    for language in ("zh", "en"):
        region_session.language = language
        reply = region_session.send("去掉", **{kind: value})
        assert reply.kind == "error" and reply.error == "bad_input" and one_line(reply.text), reply.text
        assert len(region_session.versions) == 1
        with pytest.raises(BadInputError) as raised:
            region_session.region(**{kind: value})
        assert one_line(raised.value.message) and kind in raised.value.message


@pytest.mark.parametrize("line", CHAT_REGION_LINES.values(), ids=CHAT_REGION_LINES.keys())
def test_a_chat_box_or_point_with_a_bad_coordinate_is_refused_and_the_chat_goes_on(region_session, tmp_path, line):
    from ui.cli_session import chat_turn

    region_session.language = "zh"
    reply = chat_turn(region_session, line, tmp_path)
    assert reply is not None and reply.error == "bad_input" and one_line(reply.text), reply
    assert len(region_session.versions) == 1 and region_session.pointer == 0


@pytest.mark.parametrize("fields, word", NEW_ACTION_COMMANDS.values(), ids=NEW_ACTION_COMMANDS.keys())
def test_a_new_action_it_cannot_do_gets_one_line_in_the_users_language_and_no_version(tiny_models, small_photo,
                                                                                  fields, word):
    from agent.editor import Editor, EditSettings
    from agent.parse import EditCommand
    from agent.session.session import Session

    for language in ("zh", "en"):
        command = EditCommand(**fields, language=language)
        session = Session(small_photo, Editor(tiny_models, EditSettings(steps=1)), parse=lambda text, c=command: [c])
        reply = session.send("……")
        assert reply.kind == "error" and reply.error == "bad_input" and one_line(reply.text), reply.text
        assert len(session.versions) == 1
        assert (word in reply.text) == (language == "en"), reply.text
        assert language == "en" or not re.search(r"[A-Za-z]{4,}", reply.text), reply.text  # "nan" is a value


def test_the_corpus_is_large_enough():
    counts = {"images": len(IMAGES), "instructions": len(instruction_cases()), "settings": len(SETTINGS),
              "regions": len(REGIONS) + len(CHAT_REGION_LINES)}
    assert sum(counts.values()) >= 200 and min(counts.values()) >= 40, counts


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
