"""`edit-everything run` and `edit-everything chat`: what a person at a terminal sees."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import tools.models
from ui.cli import main

from synthetic import BLUE, RED, SyntheticModels, picture

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--preset", "tiny"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_a_script_of_turns_writes_the_final_picture(capsys, tiny_models, photo_file, tmp_path):
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "run", photo_file, "把猫换成狗", "把沙发变成红色", "撤销", "-o", out, *TINY)
    assert code == 0, err
    assert stdout.splitlines() == ["[1] 把猫换成狗 → 好了：把“猫”换成了“狗”。",
                                   "[2] 把沙发变成红色 → 好了：把“沙发”换成了“红色的沙发”。",
                                   "[3] 撤销 → 已撤销，回到第 1 版。", f"已写入 {out}"]
    before = np.asarray(Image.open(photo_file).convert("RGB"))
    assert Image.open(out).size == (before.shape[1], before.shape[0])


def test_run_with_json_and_a_data_dir_reports_each_turn_and_saves_the_session(capsys, tiny_models, photo_file,
                                                                               tmp_path):
    data = tmp_path / "data"
    code, stdout, err = run(capsys, "run", photo_file, "把猫换成狗", "重新生成", "-o", tmp_path / "o.png",
                            "--json", "--data-dir", data, "--seed", "5", *TINY)
    assert code == 0, err
    first, second = (json.loads(line) for line in stdout.splitlines())
    assert first["kind"] == "edited" and first["seed"] == 5 and "inpaint" in first["timings"]
    assert second["seed"] == 6 and second["version"] == 2 and first["saved"] is True  # a new version
    assert (data / first["session"] / "manifest.json").is_file()
    code, stdout, err = run(capsys, "run", photo_file, "撤销", "-o", tmp_path / "back.png", "--json",
                            "--data-dir", data, "--session", first["session"], *TINY)
    assert code == 0 and json.loads(stdout)["version"] == 1, err  # back to the first try


def test_run_stops_with_exit_3_when_the_thing_is_not_found(capsys, tiny_models, tmp_path, monkeypatch):
    monkeypatch.setattr(tools.models, "load_models", lambda *a, **k: SyntheticModels.over(tiny_models))
    photo = tmp_path / "squares.png"
    picture(((20, 40, 70, 90), RED), ((100, 10, 130, 40), BLUE)).save(photo)
    out = tmp_path / "out.png"
    code, stdout, err = run(capsys, "run", photo, "把红色方块换成狗", "把绿色方块去掉", "撤销", "-o", out,
                            "--steps", "2")
    assert code == 3
    assert stdout.splitlines()[0] == "[1] 把红色方块换成狗 → 好了：把“红色方块”换成了“狗”。"
    assert "没有找到“绿色方块”" in err and "（第 2 轮，共 3 轮；已停止）" in err and "Traceback" not in err
    assert not out.exists()


def test_run_takes_the_best_of_close_candidates_and_says_so(capsys, tiny_models, tmp_path, monkeypatch):
    monkeypatch.setattr(tools.models, "load_models", lambda *a, **k: SyntheticModels.over(tiny_models))
    photo = tmp_path / "squares.png"
    picture(((20, 40, 70, 90), RED), ((150, 50, 210, 110), RED)).save(photo)
    code, stdout, err = run(capsys, "run", photo, "把红色方块换成狗", "-o", tmp_path / "out.png", "--steps", "2")
    assert code == 0, err
    assert "有几个可能是“红色方块”的，选了最像的那个。" in stdout


def test_run_refuses_nonsense_options_in_one_line(capsys, photo_file, tmp_path):
    code, _, err = run(capsys, "run", photo_file, "把猫换成狗", "-o", tmp_path / "o.png", "--steps", "-1", *TINY)
    assert code == 2 and "steps" in err and len(err.strip().splitlines()) == 1


def test_chat_can_be_driven_by_piped_lines(tiny_models, model_cache, photo_file, tmp_path):
    lines = ["把猫换成狗", "", "撤销", "重做", "撤销", "选第二个", ":history", "去掉猫", ":quit"]
    env = dict(os.environ, EDIT_EVERYTHING_CACHE=str(model_cache), HF_HUB_OFFLINE="1")
    done = subprocess.run([sys.executable, "-m", "ui.cli", "chat", str(photo_file), "-o", str(tmp_path / "out"),
                           *TINY], input="\n".join(lines) + "\n", cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "> 把猫换成狗\n好了：把“猫”换成了“狗”。\n  第 1 版：" in out
    assert "已撤销，回到第 0 版。" in out and "已重做，现在是第 1 版。" in out
    assert "现在没有可以选的候选。" in out
    assert "* v2 edit       去掉猫" not in out and "* v0 original" in out  # :history, before the last edit
    assert (tmp_path / "out" / "v001.png").is_file() and (tmp_path / "out" / "v000.png").is_file()
    assert out.rstrip().endswith("再见：共 2 个版本；图片在 " + str(tmp_path / "out"))
    assert "Traceback" not in done.stderr


def chat_in_process(capsys, monkeypatch, data: bytes, *argv):
    """`edit-everything chat` in this process, its stdin the bytes `data` decoded the way Python
    decodes a terminal's (undecodable bytes become lone surrogates)."""
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")
    monkeypatch.setattr(sys, "stdin", stdin)
    return run(capsys, "chat", *argv)


def test_a_failed_export_or_a_line_of_bad_bytes_does_not_end_the_chat(capsys, monkeypatch, tiny_models,
                                                                      photo_file, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    data = (f"把猫换成狗\n:export {tmp_path}\n:export {notes}\n".encode() + b"\xff\xfe junk\n"
            + f"撤销\n:export {tmp_path / 's.zip'}\n:history\n".encode())
    code, out, err = chat_in_process(capsys, monkeypatch, data, photo_file, "-o", tmp_path / "out",
                                     "--data-dir", tmp_path / "data", *TINY)
    assert code == 0 and "Traceback" not in out + err and "internal error" not in err, err
    assert out.startswith("会话 ") and "已撤销，回到第 0 版。" in out and "* v0 original" in out
    assert "导出的是 zip 文件" in out and "“" + str(notes) + "”" in out  # one line each, in Chinese
    assert f"已导出 {tmp_path / 's.zip'}" in out and out.rstrip().endswith("图片在 " + str(tmp_path / "out"))
    assert notes.read_text() == "my notes"
    (session_id,) = [p.name for p in (tmp_path / "data").iterdir()]
    manifest = json.loads((tmp_path / "data" / session_id / "manifest.json").read_text(encoding="utf-8"))
    assert "\ufffd\ufffd junk" in [e["said"] for e in manifest["log"]]


def test_chat_with_an_output_dir_that_is_a_file_is_one_line_and_exit_2(capsys, photo_file, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    code, out, err = run(capsys, "chat", photo_file, "-o", blocker, *TINY)
    assert code == 2 and err.startswith("error: ") and "--output-dir" in err and "\n" not in err.strip(), err
    assert blocker.read_text() == "a file"


def test_run_with_undecodable_argv_saves_a_whole_session_or_nothing(capsys, tiny_models, photo_file, tmp_path):
    data = tmp_path / "data"
    junk = b"\xff\xfe".decode("utf-8", "surrogateescape")  # how Python hands such bytes in argv
    code, out, err = run(capsys, "run", photo_file, junk, "-o", tmp_path / "j.png", "--data-dir", data, *TINY)
    assert code == 2 and "internal error" not in err and "\n" not in err.strip(), err
    for folder in data.iterdir():  # no pictures without the manifest that names them
        assert (folder / "manifest.json").is_file(), sorted(p.name for p in folder.iterdir())
