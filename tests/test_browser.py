"""The app in a real browser: `streamlit run` with the tiny preset on a free localhost port, Debian's
chromium driven by Playwright. Screenshots go to artifacts/browser/.

Needs `apt-get install chromium fonts-wqy-microhei` and the `playwright` package (`make test`
installs both); when either is missing this test fails and says what to install.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from served import free_port

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TURN_TIMEOUT_MS = 180_000


@contextlib.contextmanager
def running(command: list[str], *, env: dict, log_path: Path, ready: str, what: str, wait_s: float = 60):
    """`command` started in the project folder, until `ready` (a URL) answers 200; stopped after (SIGTERM,
    then kill). Its log is printed at the end, so a failing test shows it."""
    log = log_path.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                if urllib.request.urlopen(ready, timeout=2).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start:\n" + log_path.read_text())
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        print(log_path.read_text()[-3000:])


@contextlib.contextmanager
def streamlit_app(tmp_path: Path, *app_args: str):
    """`streamlit run ui/app.py -- APP_ARGS` on a free localhost port; yields its URL."""
    port = free_port()
    env = dict(os.environ, EDIT_EVERYTHING_DATA=str(tmp_path / "data"))
    command = [sys.executable, "-m", "streamlit", "run", "ui/app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--", *app_args]
    url = f"http://127.0.0.1:{port}"
    with running(command, env=env, log_path=tmp_path / "streamlit.log", ready=url + "/_stcore/health",
                 what="streamlit"):
        yield url


@pytest.fixture
def app_url(model_cache, tmp_path):
    """`streamlit run ui/app.py -- --preset tiny` on a free port; its log is printed when a test fails."""
    with streamlit_app(tmp_path, "--preset", "tiny") as url:
        yield url


@pytest.fixture
def served_app_url(model_cache, tmp_path):
    """`edit-everything serve --preset tiny` on a free port, and the app started with `--server` on it."""
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "ui.cli", "serve", "--preset", "tiny", "--port", str(port),
               "--data-dir", str(tmp_path / "served")]
    with running(command, env=dict(os.environ), log_path=tmp_path / "serve.log", ready=server + "/v1/health",
                 what="edit-everything serve", wait_s=300):
        with streamlit_app(tmp_path, "--server", server) as url:
            yield url


def browser_page(playwright, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `apt-get update && apt-get install -y chromium "
                    "chromium-driver fonts-wqy-microhei` (or `make browser`)")
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
        viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    return context, context.new_page()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)  # let images finish painting
    path = SHOTS / name
    page.screenshot(path=str(path))
    return path


@pytest.mark.browser
def test_upload_edit_and_undo_in_a_real_browser(app_url, tmp_path, photo_file):
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install playwright (it is in the `test` extra); "
                    "never `playwright install`, chromium comes from apt")
    with sync_playwright() as playwright:
        context, page = browser_page(playwright, tmp_path)
        try:
            page.goto(app_url)
            expect(page.get_by_text("上传一张照片", exact=False)).to_be_visible(timeout=60_000)
            # the first page is drawn to its end (its chat box) before the user picks a file, as a person would
            expect(page.get_by_placeholder("还没有图片", exact=False)).to_be_visible(timeout=60_000)
            page.locator("input[type=file]").first.set_input_files(str(photo_file))
            chat = page.get_by_placeholder("说说要怎么改", exact=False)
            expect(chat).to_be_visible(timeout=60_000)
            expect(page.get_by_role("button", name="原图", exact=True)).to_be_visible()
            assert "session=" in page.url
            picture = page.frame_locator("iframe[title*='streamlit_image_coordinates']").locator("img")
            expect(picture).to_be_visible(timeout=60_000)
            original = picture.get_attribute("src")
            shot(page, "1-uploaded.png")

            chat.fill("把猫换成狗")
            chat.press("Enter")
            expect(page.get_by_text("好了：把“猫”换成了“狗”。")).to_be_visible(timeout=TURN_TIMEOUT_MS)
            expect(page.get_by_role("button", name="第 1 版", exact=True)).to_be_visible()
            expect(page.get_by_text("第 1 版（0 为原图，最新为第 1 版）", exact=False)).to_be_visible()
            expect(picture).not_to_have_attribute("src", original)  # the new picture is shown
            shot(page, "2-edited.png")

            page.get_by_text("显示上一次编辑的区域").click()
            shot(page, "3-mask-overlay.png")
            page.get_by_text("显示上一次编辑的区域").click()  # off again: the next shots show the picture

            page.get_by_role("button", name="撤销", exact=True).click()
            expect(page.get_by_text("已撤销，回到第 0 版。")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("第 0 版（0 为原图，最新为第 1 版）", exact=False)).to_be_visible()
            expect(picture).to_have_attribute("src", original)
            shot(page, "4-undone.png")

            picture.click(position={"x": 200, "y": 150})  # a click on the picture selects a region
            expect(page.get_by_text("已选中点", exact=False)).to_be_visible(timeout=60_000)
            shot(page, "5-point-selected.png")
            chat = page.get_by_placeholder("已选中区域", exact=False)
            chat.fill("换成狗")
            chat.press("Enter")
            expect(page.get_by_text("好了：把“点选的区域”换成了“狗”。")).to_be_visible(timeout=TURN_TIMEOUT_MS)
            expect(picture).not_to_have_attribute("src", original)
            shot(page, "6-point-edited.png")
        except Exception:
            shot(page, "failure.png")
            raise
        finally:
            context.close()


@pytest.mark.browser
def test_words_adjust_restyle_move_with_a_box_and_undo_in_a_real_browser(app_url, tmp_path):
    """Issue 12's chain on the tiny preset: a picture drawn from words, then adjust, restyle, a move
    of the thing in a box, and undo, each turn a new version, with no traceback anywhere."""
    from playwright.sync_api import expect, sync_playwright

    def say(placeholder: str, words: str, version: str) -> None:
        chat = page.get_by_placeholder(placeholder, exact=False)
        chat.fill(words)
        chat.press("Enter")
        expect(page.get_by_role("button", name=version, exact=True)).to_be_visible(timeout=TURN_TIMEOUT_MS)
        expect(page.get_by_text(f"{version}（0 为原图", exact=False)).to_be_visible(timeout=60_000)

    with sync_playwright() as playwright:
        context, page = browser_page(playwright, tmp_path)
        try:
            page.goto(app_url)
            chat = page.get_by_placeholder("还没有图片：说说要画什么", exact=False)
            expect(chat).to_be_visible(timeout=60_000)
            chat.fill("画一张海边日落的图片")
            chat.press("Enter")
            expect(page.get_by_text("好了：画了一张新图：", exact=False)).to_be_visible(timeout=TURN_TIMEOUT_MS)
            expect(page.get_by_role("button", name="原图", exact=True)).to_be_visible()
            assert "session=" in page.url
            shot(page, "words-1-drawn.png")

            say("说说要怎么改", "把图片调亮一点", "第 1 版")
            say("说说要怎么改", "变成油画风格", "第 2 版")
            shot(page, "words-2-restyled.png")

            page.get_by_text("用坐标选区域").click()
            page.get_by_text("框", exact=True).click()
            for name, value in zip(("x0", "y0", "x1", "y1"), (60, 40, 120, 100)):
                field = page.get_by_label(name, exact=True)
                field.fill(str(value))
                field.press("Tab")
            page.get_by_role("button", name="选定", exact=True).click()
            expect(page.get_by_text("已选中框", exact=False)).to_be_visible(timeout=60_000)
            chat = page.get_by_placeholder("已选中区域", exact=False)
            chat.fill("移到左边")
            chat.press("Enter")
            third = page.get_by_role("button", name="第 3 版", exact=True)
            refused = page.get_by_text("已经在那里了", exact=False)  # the tiny SAM's region spans the picture
            expect(third.or_(refused)).to_be_visible(timeout=TURN_TIMEOUT_MS)
            moved = third.is_visible()
            shot(page, "words-3-moved.png")

            page.get_by_role("button", name="撤销", exact=True).click()
            back = 2 if moved else 1
            expect(page.get_by_text(f"已撤销，回到第 {back} 版。")).to_be_visible(timeout=60_000)
            expect(page.get_by_text(f"第 {back} 版（0 为原图", exact=False)).to_be_visible(timeout=60_000)
            shot(page, "words-4-undone.png")
            text = page.content()
            assert "Traceback" not in text and "出了点问题" not in text
        except Exception:
            shot(page, "words-failure.png")
            raise
        finally:
            context.close()


@pytest.mark.browser
def test_the_app_started_with_a_server_uploads_edits_and_undoes_in_a_real_browser(served_app_url, tmp_path,
                                                                                    small_photo):
    """The same page over `edit-everything serve`: the picture, the reply and undo come from the server."""
    from playwright.sync_api import expect, sync_playwright

    photo = tmp_path / "small-cat.png"
    small_photo.save(photo)
    with sync_playwright() as playwright:
        context, page = browser_page(playwright, tmp_path)
        try:
            page.goto(served_app_url)
            expect(page.get_by_text("编辑在服务器", exact=False)).to_be_visible(timeout=60_000)
            expect(page.get_by_placeholder("还没有图片", exact=False)).to_be_visible(timeout=60_000)
            page.locator("input[type=file]").first.set_input_files(str(photo))
            chat = page.get_by_placeholder("说说要怎么改", exact=False)
            expect(chat).to_be_visible(timeout=60_000)
            picture = page.frame_locator("iframe[title*='streamlit_image_coordinates']").locator("img")
            expect(picture).to_be_visible(timeout=60_000)
            original = picture.get_attribute("src")
            shot(page, "served-1-uploaded.png")

            chat.fill("把猫换成狗")
            chat.press("Enter")
            expect(page.get_by_text("好了：把“猫”换成了“狗”。")).to_be_visible(timeout=TURN_TIMEOUT_MS)
            expect(page.get_by_role("button", name="第 1 版", exact=True)).to_be_visible()
            expect(picture).not_to_have_attribute("src", original)
            shot(page, "served-2-edited.png")

            page.get_by_role("button", name="撤销", exact=True).click()
            expect(page.get_by_text("已撤销，回到第 0 版。")).to_be_visible(timeout=60_000)
            expect(picture).to_have_attribute("src", original)
            shot(page, "served-3-undone.png")
            text = page.content()
            assert "Traceback" not in text and "出了点问题" not in text
        except Exception:
            shot(page, "served-failure.png")
            raise
        finally:
            context.close()
