"""The command line as a demanding new user finds it (issue 14): qualifiers kept, harmless no-ops
that do not end a script, boxes in the photo's own pixels, outputs checked before any work, one
language per message, and the session id printed for `--session`."""
import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tools.models
from ui.cli import main

from synthetic import BLUE, RED, SyntheticModels, picture

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--preset", "tiny", "--steps", "1"]
FAST = [*TINY, "--remove-method", "opencv"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def english_words(text: str, *allowed: str) -> set[str]:
    """Latin words of three letters or more in `text`, minus the `allowed` ones (paths, option names)."""
    for word in allowed:
        text = text.replace(str(word), " ")
    return set(re.findall(r"[A-Za-z]{3,}", text))


@pytest.fixture
def no_models(monkeypatch):
    """Any attempt to load models fails the test (exit 1 instead of the expected 2)."""
    def refuse(*args, **kwargs):
        raise AssertionError("models were loaded before the input was checked")

    monkeypatch.setattr(tools.models, "load_models", refuse)


@pytest.fixture
def squares(tmp_path, tiny_models, monkeypatch):
    """Two red squares (left and right) on grey, with models whose scores mean something."""
    monkeypatch.setattr(tools.models, "load_models", lambda *a, **k: SyntheticModels.over(tiny_models))
    path = tmp_path / "squares.png"
    picture(((20, 40, 70, 90), RED), ((150, 50, 210, 110), RED)).save(path)
    return path


LEFT, RIGHT = (slice(40, 90), slice(20, 70)), (slice(50, 110), slice(150, 210))


# ------------------------------------------------------------------------------ 5: qualifiers
@pytest.mark.parametrize("instruction, left, right", [("去掉左边的红色方块", True, False),
                                                      ("去掉第一个红色方块", True, False),
                                                      ("去掉所有的红色方块", True, True)])
def test_edit_keeps_position_index_and_all_and_chooses_what_run_chooses(capsys, tmp_path, squares, instruction,
                                                                         left, right):
    by_edit, by_run = tmp_path / "edit.png", tmp_path / "run.png"
    code, _, err = cli(capsys, "edit", squares, instruction, "-o", by_edit, "--remove-method", "opencv")
    assert code == 0, err
    changed = (pixels(by_edit) != pixels(squares)).any(axis=2)
    assert changed[LEFT].any() == left and changed[RIGHT].any() == right
    code, _, err = cli(capsys, "run", squares, instruction, "-o", by_run, "--remove-method", "opencv")
    assert code == 0, err
    assert np.array_equal(pixels(by_edit), pixels(by_run))


# ------------------------------------------------------------------------------ 6: no-ops
def test_run_says_harmless_no_ops_and_goes_on_to_write_the_result(capsys, tiny_models, photo_file, tmp_path):
    out = tmp_path / "out.png"
    turns = ["撤销", "重做", "恢复原图", "选第二个", "重新生成", "去掉猫", "重做", "撤销", "撤销"]
    code, stdout, err = cli(capsys, "run", photo_file, *turns, "-o", out, *FAST)
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0] == "[1] 撤销 → 没有可以撤销的了。"
    assert lines[2] == "[3] 恢复原图 → 现在已经是原图了。" and lines[3] == "[4] 选第二个 → 现在没有可以选的候选。"
    assert lines[4] == "[5] 重新生成 → 这一版没有可以重新生成的编辑。"
    assert lines[6] == "[7] 重做 → 已经是最新的版本，没有可以重做的。"
    assert lines[8] == "[9] 撤销 → 没有可以撤销的了。"
    assert np.array_equal(pixels(out), pixels(photo_file)) and err == ""


def test_run_json_marks_a_no_op_turn_and_still_exits_0(capsys, tiny_models, photo_file, tmp_path):
    code, stdout, err = cli(capsys, "run", photo_file, "撤销", "-o", tmp_path / "o.png", "--json", *FAST)
    assert code == 0, err
    report = json.loads(stdout)
    assert report["kind"] == "error" and report["error"] == "nothing_to_do" and report["version"] == 0


# ----------------------------------------------------------------- 8: boxes in the photo's pixels
@pytest.fixture(scope="module")
def big_photo(cat_photo, tmp_path_factory):
    """The cat photo at 1600×1064, larger than the working copy (long side 1024)."""
    path = tmp_path_factory.mktemp("big") / "big.png"
    cat_photo.resize((1600, 1064), Image.Resampling.BICUBIC).save(path)
    return path


def assert_box_frames_the_change(box, changed: np.ndarray, slack: int) -> None:
    """`box` (x0, y0, x1, y1) is in the frame of `changed` (bool HxW) and frames its pixels to within
    `slack` (the dilation around the chosen region)."""
    height, width = changed.shape
    ys, xs = np.nonzero(changed)
    framed = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
    assert 0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height, (box, changed.shape)
    assert all(abs(a - b) <= slack for a, b in zip(box, framed)), (box, framed)


def test_edit_json_boxes_are_in_the_photos_own_pixels(capsys, tiny_models, big_photo, tmp_path):
    out, mask_file = tmp_path / "out.png", tmp_path / "mask.png"
    code, stdout, err = cli(capsys, "edit", big_photo, "--source", "猫", "--target", "狗", "-o", out,
                            "--save-mask", mask_file, "--json", *TINY)
    assert code == 0, err
    report = json.loads(stdout.strip().splitlines()[-1])
    changed = np.asarray(Image.open(mask_file), dtype=bool)
    assert changed.shape == (1064, 1600)
    assert_box_frames_the_change(report["chosen"]["box"], changed, slack=60)
    assert_box_frames_the_change(report["changed_box"], changed, slack=0)
    for candidate in report["candidates"]:
        x0, y0, x1, y1 = candidate["box"]
        assert 0 <= x0 < x1 <= 1600 and 0 <= y0 < y1 <= 1064


def test_the_python_api_summary_boxes_are_in_the_photos_own_pixels(editor, big_photo):
    image = Image.open(big_photo).convert("RGB")
    result = editor.edit(image, source="猫", target="狗")
    summary = result.summary()
    assert_box_frames_the_change(summary["chosen"]["box"], result.mask, slack=60)
    assert all(c["box"][2] <= 1600 and c["box"][3] <= 1064 for c in summary["candidates"])
    assert max(c["box"][2] for c in summary["candidates"]) > 1024  # not the working copy's frame


def test_candidate_views_of_working_copy_masks_are_in_the_image_frame(cat_photo):
    from agent.session.reply import candidate_views
    from tools.rank import Candidate
    from tools.segment import Segment

    image = cat_photo.resize((902, 600))
    small = np.zeros((300, 451), dtype=bool)
    small[100:200, 200:400] = True  # found on a half-size working copy
    view, = candidate_views(image, [Candidate(Segment.from_mask(small), score=0.9)])
    assert view.box == (400, 200, 800, 400) and view.mask.shape == (600, 902)


# ----------------------------------------------------------------------- 9: run --session
def test_run_continues_a_session_without_the_photo_and_refuses_another_one(capsys, tiny_models, photo_file,
                                                                          tmp_path, cat_photo):
    data = tmp_path / "data"
    code, stdout, err = cli(capsys, "run", photo_file, "去掉猫", "-o", tmp_path / "a.png", "--json",
                            "--data-dir", data, *FAST)
    assert code == 0, err
    session = json.loads(stdout)["session"]
    code, stdout, err = cli(capsys, "run", "--session", session, "--data-dir", data, "撤销", "-o",
                            tmp_path / "b.png", "--json", *FAST)
    assert code == 0, err
    assert json.loads(stdout)["version"] == 0 and np.array_equal(pixels(tmp_path / "b.png"), pixels(photo_file))
    other = tmp_path / "other.png"
    cat_photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(other)
    for image in (other, tmp_path / "missing.png"):
        out = tmp_path / "c.png"
        code, stdout, err = cli(capsys, "run", image, "重做", "-o", out, "--data-dir", data, "--session", session,
                                *FAST)
        assert code == 2 and len(err.strip().splitlines()) == 1 and not out.exists() and stdout == "", err
    assert "not the picture" in cli(capsys, "run", other, "redo", "-o", tmp_path / "c.png", "--data-dir", data,
                                    "--session", session, *FAST)[2]


# ------------------------------------------------------- 11, 12: outputs checked before any work
# (every unwritable `edit` output is in the bad-input corpus: tests/bad_inputs.py output_cases)
@pytest.mark.parametrize("output", ["out.xyz", "missing/out.png"])
def test_run_refuses_an_unwritable_output_before_loading_models(capsys, no_models, photo_file, tmp_path, output):
    code, _, err = cli(capsys, "run", photo_file, "把猫换成狗", "-o", tmp_path / output, *TINY)
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("错误："), err


def test_edit_writes_its_outputs_all_or_nothing(capsys, tiny_models, photo_file, tmp_path, monkeypatch):
    import tools.masks
    from tools.errors import StorageError

    def full_disk(path, mask):
        raise StorageError("Could not save m.png: no space left on the disk.", zh="磁盘空间不足。")

    monkeypatch.setattr(tools.masks, "save_mask", full_disk)
    out = tmp_path / "out.png"
    code, _, err = cli(capsys, "edit", photo_file, "--source", "cat", "--remove", "-o", out,
                       "--save-mask", tmp_path / "m.png", *FAST)
    assert code == 2 and "no space" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [photo_file.name]


@pytest.mark.parametrize("name", ["out.bmp", "out.tif", "out.tiff", "out.jpeg", "out.webp"])
def test_edit_writes_every_extension_it_accepts(capsys, tiny_models, photo_file, tmp_path, name):
    code, _, err = cli(capsys, "edit", photo_file, "--source", "cat", "--remove", "-o", tmp_path / name, *FAST)
    assert code == 0, err
    assert Image.open(tmp_path / name).size == Image.open(photo_file).size


# ------------------------------------------------------------------- 14: one language a message
def test_a_bad_setting_is_refused_wholly_in_chinese(capsys, no_models, photo_file, tmp_path):
    code, _, err = cli(capsys, "edit", photo_file, "--source", "猫", "--target", "狗", "-o", tmp_path / "o.png",
                       "--seed", "-1", *TINY)
    assert code == 2 and err.strip() == "错误：设置 seed=-1 无效：请用 0 到 4294967295 之间的整数。"


@pytest.mark.parametrize("content", [b"", b"this is text, not a picture", b'<svg xmlns="http://www.w3.org/2000/svg"/>'])
def test_a_refused_file_is_not_told_to_upload_again_and_is_in_one_language(capsys, no_models, tmp_path, content):
    path = tmp_path / "photo.png"
    path.write_bytes(content)
    code, _, err = cli(capsys, "edit", path, "把猫换成狗", "-o", tmp_path / "o.png", *TINY)
    assert code == 2 and "上传" not in err and err.startswith("错误：")
    assert english_words(err, path, "JPEG, PNG, WebP, GIF, BMP, TIFF", "SVG", "PNG") == set(), err
    code, _, err = cli(capsys, "edit", path, "--source", "cat", "--target", "dog", "-o", tmp_path / "o.png", *TINY)
    assert code == 2 and "upload" not in err.lower() and err.startswith("error: ")


def test_an_os_error_is_explained_in_the_users_language(tmp_path):
    from tools.errors import StorageError
    from tools.files import atomic_write_bytes

    with pytest.raises(StorageError) as caught:
        atomic_write_bytes(tmp_path / "missing" / "x.png", b"data")
    chinese = caught.value.message_for("zh")
    assert "文件或文件夹不存在" in chinese and english_words(chinese, tmp_path / "missing", "x.png") == set()


def test_runs_stop_line_is_in_the_replys_language(capsys, tiny_models, tmp_path, monkeypatch):
    monkeypatch.setattr(tools.models, "load_models", lambda *a, **k: SyntheticModels.over(tiny_models))
    photo = tmp_path / "squares.png"
    picture(((20, 40, 70, 90), RED), ((100, 10, 130, 40), BLUE)).save(photo)
    code, _, err = cli(capsys, "run", photo, "把红色方块换成狗", "把绿色方块去掉", "撤销", "-o", tmp_path / "o.png",
                       "--steps", "1")
    assert code == 3 and err.strip().endswith("（第 2 轮，共 3 轮；已停止）") and english_words(err) == set(), err
    code, _, err = cli(capsys, "run", photo, "remove the green square", "-o", tmp_path / "o.png", "--steps", "1")
    assert code == 3 and err.strip().endswith("(turn 1 of 1; stopped)") and not re.search("[\u4e00-\u9fff]", err)


def test_a_too_long_english_line_is_refused_in_english(capsys, tiny_models, photo_file, tmp_path):
    code, stdout, err = cli(capsys, "run", photo_file, "make the cat a bit darker " * 200, "-o", tmp_path / "o.png",
                            *TINY)
    assert code == 2 and "characters" in stdout and not re.search("[\u4e00-\u9fff]", stdout + err), stdout + err


# ------------------------------------------------------------------------ 16: edit runs edits only
@pytest.mark.parametrize("instruction", ["把猫换成狗，然后撤销", "replace the cat with a dog, then undo", "重新生成"])
def test_edit_refuses_history_words_and_points_at_run(capsys, no_models, photo_file, tmp_path, instruction):
    out = tmp_path / "o.png"
    code, _, err = cli(capsys, "edit", photo_file, instruction, "-o", out, *TINY)
    assert code == 2 and "run" in err and len(err.strip().splitlines()) == 1 and not out.exists(), err


# ------------------------------------------------------------------ 17: run prints the session id
def test_run_with_a_data_dir_prints_the_session_id_to_continue_with(capsys, tiny_models, photo_file, tmp_path):
    data = tmp_path / "data"
    code, stdout, err = cli(capsys, "run", photo_file, "去掉猫", "-o", tmp_path / "o.png", "--data-dir", data, *FAST)
    assert code == 0, err
    last = stdout.splitlines()[-1]
    session = re.match(r"会话 (\S+) 已保存在 ", last).group(1)
    assert (data / session / "manifest.json").is_file()
    code, stdout, err = cli(capsys, "run", "--session", session, "--data-dir", data, "undo", "-o", tmp_path / "p.png",
                            *FAST)
    assert code == 0 and stdout.splitlines()[-1].startswith(f"session {session} saved in "), err


# ----------------------------------------------------------------------- the import cycle is gone
def test_the_command_line_modules_import_each_other_only_at_the_top():
    for name in ("cli.py", "cli_session.py", "cli_edit.py", "cli_options.py"):
        tree = ast.parse((ROOT / "ui" / name).read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    assert not (node.module or "").startswith("ui."), f"{name}: {function.name} imports {node.module}"
