"""`edit-everything serve`: the HTTP sessions API over Ray Serve model workers (server/).

    edit-everything serve --preset tiny                       # http://127.0.0.1:8000/docs
    edit-everything serve --host 0.0.0.0 --config serve.yaml  # needs EDIT_EVERYTHING_API_KEY
    RAY_ADDRESS=ray://head:10001 edit-everything serve        # join a running Ray cluster

Ctrl-C or SIGTERM stops the server and every Ray process it started.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from tools.errors import ModelUnavailableError

DEFAULT_DATA_DIR = Path(os.environ.get("EDIT_EVERYTHING_DATA", "~/.local/share/edit-everything/sessions"))
TEXTS = {"ready": {"en": "serving the '{preset}' preset at {url} (API docs: {url}/docs); Ctrl-C stops it",
                   "zh": "正在 {url} 提供“{preset}”预设的服务（接口文档：{url}/docs）；按 Ctrl-C 停止"},
         "stopped": {"en": "server stopped", "zh": "服务已停止"}}


def add_serve_command(commands) -> None:
    serve = commands.add_parser("serve", help="serve the HTTP sessions API (Ray Serve model workers)")
    serve.add_argument("--preset", default=os.environ.get("EDIT_EVERYTHING_PRESET", "auto"),
                       help="auto, zh, en or tiny. Env: EDIT_EVERYTHING_PRESET")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (not localhost: needs "
                                                           "EDIT_EVERYTHING_API_KEY)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--config", type=Path, help="deployment shapes (YAML; default prompts/serve.yaml)")
    serve.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                       help="where sessions are saved (every ingress replica must see it). Env: EDIT_EVERYTHING_DATA")


def run_serve(args) -> int:
    try:
        from server.config import load_config
        from server.launch import API_KEY_ENV, check_exposure, serve_until_stopped
    except ImportError as error:  # the [serve] extra is not installed
        install = "pip install 'edit-everything[serve]'"
        raise ModelUnavailableError(f"Serving needs Ray Serve: {install} ({error.name} is missing).",
                                    zh=f"提供服务需要 Ray Serve：{install}（缺少 {error.name}）。") from error
    from tools.models import load_models

    language = args.ui_language
    check_exposure(args.host, os.environ.get(API_KEY_ENV, ""))  # refused at once: no model, no Ray
    config = load_config(args.config)
    load_models(args.preset)  # an unknown preset is refused now, before Ray starts

    def ready(url: str) -> None:
        print(TEXTS["ready"][language].format(preset=args.preset, url=url), flush=True)

    serve_until_stopped(preset=args.preset, host=args.host, port=args.port, config=config,
                        data_dir=args.data_dir.expanduser(), on_ready=ready)
    print(TEXTS["stopped"][language], file=sys.stderr)
    return 0
