"""Every error a user can see is written twice, wholly in Chinese and wholly in English.

The project's errors carry an English message and a `zh=` one (tools/errors.py); a front end shows
the one in the user's language. These tests read the source of tools/, agent/ and ui/ so that a new
`raise BadInputError("...")` without its Chinese text, or a message that mixes the two languages
("设置 seed=-1 无效：use a whole number"), fails here rather than in front of a user.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ERRORS = {"EditError", "BadInputError", "NotFoundError", "StorageError", "ModelUnavailableError"}
CHINESE_PUNCTUATION = re.compile(r"[，。：；（）“”、！？]")  # examples like --source 猫 are fine in English
# English prose (three words in a row, one of them a little word) inside a Chinese message; option
# names, file names and package names stand alone and are fine.
ENGLISH_PROSE = re.compile(r"\b[A-Za-z]+ (?:[A-Za-z]+ )*(?:a|an|the|to|from|of|or|and|is|not|with|for|use|no|such)"
                           r" [A-Za-z]+\b")


def error_calls():
    """(file:line, english node, chinese node or None) for every construction of our error types."""
    for path in sorted(p for folder in ("tools", "agent", "ui") for p in (ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ERRORS and node.args:
                zh = next((k.value for k in node.keywords if k.arg == "zh"), None)
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.args[0], zh


def literal_text(node: ast.expr) -> str:
    """The constant parts of a string or f-string expression (placeholders left out)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(part) for part in node.values)
    if isinstance(node, ast.BinOp):
        return literal_text(node.left) + literal_text(node.right)
    return ""


def test_every_error_we_raise_has_a_chinese_message():
    missing = [place for place, _, zh in error_calls() if zh is None]
    assert not missing, f"errors without zh=: {missing}"


def test_no_error_message_mixes_the_two_languages():
    mixed = []
    for place, english, chinese in error_calls():
        if CHINESE_PUNCTUATION.search(literal_text(english)):
            mixed.append(f"{place}: Chinese punctuation in the English text")
        prose = ENGLISH_PROSE.search(literal_text(chinese)) if chinese is not None else None
        if prose:
            mixed.append(f"{place}: English prose {prose.group()!r} in the Chinese text")
    assert not mixed, "\n".join(mixed)


def test_a_session_folder_that_cannot_be_made_is_explained_wholly_in_chinese(tmp_path):
    from PIL import Image

    from agent.session import Session
    from agent.session.store import SessionStore

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    session = Session(Image.new("RGB", (32, 32)), editor=None, store=SessionStore(blocker))
    reply = session.send("你好")  # small talk: no model runs, the session is still saved after the turn
    assert reply.saved is False and "无法创建会话文件夹" in reply.text
    assert "路径中有一部分不是文件夹" in reply.text and "directory" not in reply.text, reply.text
    session.language = "en"
    assert "part of the path is not a folder" in session.send("hello").text


def test_a_bad_click_or_box_in_chinese_names_the_point_or_box_in_chinese():
    import pytest

    from tools.errors import BadInputError
    from tools.regions import check_box, check_point

    with pytest.raises(BadInputError) as point:
        check_point((float("nan"), 5), size=(10, 10))
    with pytest.raises(BadInputError) as box:
        check_box((1, 2, 3), size=(10, 10))
    assert point.value.message_for("zh").startswith("点的 x 必须是有限的数")
    assert box.value.message_for("zh").startswith("框必须是 (x0, y0, x1, y1)")
    assert point.value.message_for("en").startswith("point x must be a finite number")


def test_an_output_folder_that_cannot_be_made_says_why_in_chinese(tmp_path):
    import pytest

    from tools.errors import BadInputError
    from ui.cli_session import output_folder

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(BadInputError) as raised:
        output_folder(blocker / "pictures")
    expected = "不能用作文件夹：路径中有一部分不是文件夹。"
    assert raised.value.message_for("zh").endswith(expected), raised.value.message_zh
    assert raised.value.message_for("en").endswith("cannot be used as a folder: part of the path is not a folder.")
