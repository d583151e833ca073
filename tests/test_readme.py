"""The README's Python example works as written (on the tiny preset, offline)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PIL import Image

README = Path(__file__).resolve().parents[1] / "README.md"


def python_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_python_example_edits_a_photo(tiny_models, photo_file, tmp_path, monkeypatch):
    examples = python_examples()
    assert examples, "the README has no Python example"
    code = examples[0].replace('load_models("auto")', 'load_models("tiny")').replace("steps=30", "steps=1")
    assert 'load_models("tiny")' in code  # the example still starts from a preset
    monkeypatch.chdir(tmp_path)
    Path("photo.jpg").write_bytes(photo_file.read_bytes())
    exec(compile(code, str(README), "exec"), {})
    before, after = Image.open("photo.jpg").convert("RGB"), Image.open("out.png").convert("RGB")
    assert after.size == before.size
    assert (np.asarray(after) != np.asarray(before)).any()  # the edit changed something
