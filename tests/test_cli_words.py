"""`run --new` (start from words), `--point`/`--box` on `edit` and `run`, and `run --save-mask`."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import tools.models
from agent.editor import Editor, EditSettings
from agent.session.session import Session
from agent.session.store import SessionStore
from ui.cli import main

TINY = ["--preset", "tiny"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def white(path) -> np.ndarray:
    mask = Image.open(path)
    assert mask.mode == "1"
    return np.asarray(mask, dtype=bool)


@pytest.fixture
def no_models(monkeypatch):
    """Any attempt to load models fails the test: the input must be refused before."""
    def refuse(*args, **kwargs):
        raise AssertionError("models were loaded before the input was checked")

    monkeypatch.setattr(tools.models, "load_models", refuse)


@pytest.fixture(scope="module")
def cli_editor(tiny_models):
    """The editor the command line builds with its default settings on the tiny preset."""
    return Editor(tiny_models, EditSettings())


# ------------------------------------------------------------------------------- run --new
def test_run_new_draws_the_first_picture_then_runs_the_turns(capsys, tiny_models, tmp_path):
    out, data = tmp_path / "out.png", tmp_path / "data"
    code, stdout, err = cli(capsys, "run", "--new", "画一张海边日落的图片", "撤销", "-o", out, "--data-dir", data,
                            *TINY)
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].startswith("[1] 画一张海边日落的图片 → 好了：画了一张新图：")
    assert lines[1] == "[2] 撤销 → 没有可以撤销的了。" and lines[2] == f"已写入 {out}"
    (session_id,) = SessionStore(data).sessions()
    drawn = SessionStore(data).load(session_id).versions[0]
    assert drawn.steps[0].command.action == "generate" and drawn.instruction == "画一张海边日落的图片"
    assert np.array_equal(pixels(out), np.asarray(drawn.image))


def test_run_new_alone_writes_the_drawn_picture_and_its_mask_is_all_white(capsys, tiny_models, tmp_path):
    out, mask = tmp_path / "sunset.png", tmp_path / "mask.png"
    code, stdout, err = cli(capsys, "run", "--new", "draw a picture of a lighthouse", "-o", out,
                            "--save-mask", mask, "--json", *TINY)
    assert code == 0, err
    (report,) = (json.loads(line) for line in stdout.splitlines())
    assert report["kind"] == "edited" and report["version"] == 0 and report["step"] == 1
    assert report["language"] == "en" and "generate" in report["timings"]
    assert white(mask).all() and white(mask).shape == pixels(out).shape[:2]


# ---------------------------------------------------------------------------- --point / --box
def test_edit_with_a_point_edits_the_thing_there(capsys, tiny_models, cli_editor, photo_file, tmp_path):
    out, mask = tmp_path / "out.png", tmp_path / "mask.png"
    code, _, err = cli(capsys, "edit", photo_file, "换成狗", "--point", 220, 150, "-o", out, "--save-mask", mask, *TINY)
    assert code == 0, err
    session = Session(Image.open(photo_file), cli_editor)
    assert session.send("换成狗", point=(220, 150)).kind == "edited"
    assert np.array_equal(white(mask), session.current.mask)  # the region at the click, as in `chat`
    changed = (pixels(photo_file) != pixels(out)).any(axis=2)
    assert changed.any() and not (changed & ~white(mask)).any()


def test_run_with_a_box_uses_it_for_the_first_turn_only(capsys, tiny_models, cli_editor, photo_file, tmp_path):
    out, mask = tmp_path / "out.png", tmp_path / "mask.png"
    code, stdout, err = cli(capsys, "run", photo_file, "去掉", "--box", 100, 50, 300, 250, "-o", out,
                            "--save-mask", mask, *TINY)
    assert code == 0, err
    assert stdout.splitlines()[0].startswith("[1] 去掉 → 好了：")
    session = Session(Image.open(photo_file), cli_editor)
    assert session.send("去掉", box=(100, 50, 300, 250)).kind == "edited"
    assert session.current.steps[0].prompt == "box" and np.array_equal(white(mask), session.current.mask)
    assert np.array_equal(pixels(out), np.asarray(session.image))


def test_edit_with_a_box_and_flags_needs_no_source(capsys, tiny_models, photo_file, tmp_path):
    out = tmp_path / "out.png"
    code, stdout, err = cli(capsys, "edit", photo_file, "--box", 100, 50, 300, 250, "--target", "狗", "-o", out,
                            "--json", *TINY)
    assert code == 0, err
    report = json.loads(stdout.splitlines()[-1])
    x0, y0, x1, y1 = report["changed_box"]
    assert report["action"] == "replace" and x0 < 300 and x1 > 100 and y0 < 250 and y1 > 50


# ----------------------------------------------------------------------------- --save-mask
def test_save_mask_of_an_edit_is_where_the_last_turn_could_change(capsys, tiny_models, cli_editor, photo_file,
                                                                  tmp_path):
    first, out, mask = tmp_path / "first.png", tmp_path / "out.png", tmp_path / "mask.png"
    code, _, err = cli(capsys, "run", photo_file, "把猫换成狗", "-o", first, *TINY)
    assert code == 0, err
    code, _, err = cli(capsys, "run", photo_file, "把猫换成狗", "把背景变成蓝色", "-o", out, "--save-mask", mask,
                       *TINY)
    assert code == 0, err
    allowed = white(mask)
    changed = (pixels(first) != pixels(out)).any(axis=2)  # the last turn's change
    assert changed.any() and not (changed & ~allowed).any()
    session = Session(Image.open(photo_file), cli_editor)
    session.send("把猫换成狗")
    session.send("把背景变成蓝色")
    assert np.array_equal(allowed, session.current.mask)  # exactly the pixels the edit was allowed to change


def test_save_mask_after_an_undo_is_exactly_what_the_undo_changed(capsys, tiny_models, photo_file, tmp_path):
    edited, out, mask = tmp_path / "edited.png", tmp_path / "out.png", tmp_path / "mask.png"
    assert cli(capsys, "run", photo_file, "把猫换成狗", "-o", edited, *TINY)[0] == 0
    code, _, err = cli(capsys, "run", photo_file, "把猫换成狗", "撤销", "-o", out, "--save-mask", mask, *TINY)
    assert code == 0, err
    assert np.array_equal(white(mask), (pixels(edited) != pixels(out)).any(axis=2)) and white(mask).any()


# ------------------------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("argv, expected", [
    (["run", "--new", "", "-o", "{tmp}/o.png"], "Say what to draw"),
    (["run", "--new", "   ", "撤销", "-o", "{tmp}/o.png"], "请说要画什么"),
    (["run", "--new", "把猫换成狗", "-o", "{tmp}/o.png"], "还没有图片，“把猫换成狗”也没有说要画什么"),
    (["run", "{photo}", "--new", "画一张海边日落的图片", "-o", "{tmp}/o.png"], "不要同时给"),
    (["run", "--new", "画一张海边日落的图片", "--session", "a" * 32, "--data-dir", "{tmp}", "-o", "{tmp}/o.png"],
     "不能和 --session 一起用"),
    (["run", "--new", "画一张海边日落的图片", "-o", "{tmp}/o.png", "--save-mask", "{tmp}/m.jpg"], "无法把蒙版写成"),
    (["run", "{photo}", "把猫换成狗", "-o", "{tmp}/o.png", "--save-mask", "{tmp}/o.png"], "同一个文件"),
    (["run", "{photo}", "换成狗", "--point", "900", "40", "-o", "{tmp}/o.png"], "在图片（451×300）之外"),
    (["edit", "{photo}", "换成狗", "--point", "900", "40", "-o", "{tmp}/o.png"], "在图片（451×300）之外"),
    (["edit", "{photo}", "换成狗", "--box", "500", "10", "600", "90", "-o", "{tmp}/o.png"], "在图片（451×300）之外"),
    (["run", "{photo}", "去掉", "--box", "300", "10", "100", "90", "-o", "{tmp}/o.png"], "必须大于"),
    (["run", "--new", "画一只猫", "--point", "5", "5", "-o", "{tmp}/o.png"], "第一句指令"),
    (["edit", "{photo}", "换成狗", "--point", "5", "nan", "-o", "{tmp}/o.png"], "must be a finite number"),
    (["edit", "{photo}", "换成狗", "--point", "5", "5", "--box", "1", "2", "3", "4", "-o", "{tmp}/o.png"],
     "not allowed with"),
])
def test_bad_starts_and_regions_are_one_line_and_exit_2_before_any_model(capsys, no_models, photo_file, tmp_path,
                                                                         argv, expected):
    argv = [a.format(tmp=tmp_path, photo=photo_file) for a in argv] + TINY
    code, out, err = cli(capsys, *argv)
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and not (tmp_path / "o.png").exists()


# ------------------------------------------------------------- issue 12's chain, from words
def test_run_new_adjust_restyle_then_move_with_a_box_and_undo(capsys, tiny_models, tmp_path):
    """From words → adjust → restyle in one `run`; the move with `--box` is the first instruction of a
    second `run --session` (the box belongs to a script's first instruction), then undo."""
    data, out, back = tmp_path / "data", tmp_path / "out.png", tmp_path / "back.png"
    code, stdout, err = cli(capsys, "run", "--new", "画一张海边日落的图片", "把图片调亮一点", "变成油画风格",
                            "-o", out, "--data-dir", data, "--json", *TINY)
    assert code == 0 and "Traceback" not in err, err
    turns = [json.loads(line) for line in stdout.splitlines()]
    assert [(t["kind"], t["version"]) for t in turns] == [("edited", 0), ("edited", 1), ("edited", 2)]
    session_id = turns[0]["session"]
    saved = SessionStore(data).load(session_id)
    assert [v.steps[0].command.action for v in saved.versions] == ["generate", "adjust", "restyle"]

    code, stdout, err = cli(capsys, "run", "--session", session_id, "--data-dir", data, "移到左边", "撤销",
                            "--box", 60, 40, 120, 100, "-o", back, "--json", *TINY)
    assert code == 0 and "Traceback" not in err, err
    moved, undone = (json.loads(line) for line in stdout.splitlines())
    saved = SessionStore(data).load(session_id)
    if moved["kind"] == "edited":  # the thing in the box moved: version 3, and undo brings version 2 back
        assert moved["version"] == 3 and moved["changed_pixels"] > 0
        assert saved.versions[3].steps[0].command.action == "move" and saved.versions[3].steps[0].prompt == "box"
        assert undone["version"] == 2 and np.array_equal(pixels(back), pixels(out))
    else:  # the tiny SAM's noise region spans the picture: nowhere to move it, said in one line
        assert moved["error"] == "nothing_to_do" and moved["version"] == 2 and "\n" not in moved["text"]
        assert undone["version"] == 1 and len(saved.versions) == 3


def test_edit_moves_the_thing_in_the_box(capsys, tiny_models, tmp_path, monkeypatch):
    """A move with --box on blocks whose segments mean something: the red block goes to the left."""
    from synthetic import RED, SyntheticModels, picture

    monkeypatch.setattr(tools.models, "load_models", lambda *a, **k: SyntheticModels.over(tiny_models))
    photo, out, mask = tmp_path / "blocks.png", tmp_path / "out.png", tmp_path / "mask.png"
    picture(((140, 40, 200, 100), RED)).save(photo)
    code, stdout, err = cli(capsys, "edit", photo, "移到左边", "--box", 130, 30, 210, 110, "-o", out,
                            "--save-mask", mask, "--remove-method", "opencv", "--steps", 1)
    assert code == 0, err
    red = (pixels(out) == RED).all(axis=2)
    ys, xs = np.nonzero(red)
    assert red.sum() > 1000 and xs.max() < 120 and not red[70, 170]  # now on the left, gone from the right
    changed = (pixels(photo) != pixels(out)).any(axis=2)
    assert not (changed & ~white(mask)).any()
