"""A local Ray Serve of the tiny preset for a test module (started once per module, as in test_server.py).

    with serving(data_folder) as url:      # "http://127.0.0.1:<port>"; Ray and Serve stop after
        ...
"""
from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Iterator

APP = "edit-everything-app-test"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(data: Path) -> Iterator[str]:
    """The API on a free localhost port over sessions saved in `data`; needs the tiny model cache."""
    import ray
    import torch
    from ray import serve

    from server.config import load_config
    from server.gateway import build_app
    from server.launch import stop_serving

    port = free_port()
    ray.init(num_cpus=8, num_gpus=0, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        config = load_config(None, torch_threads=torch.get_num_threads(), max_upload_bytes=2 * 1024 * 1024)
        serve.run(build_app(preset="tiny", config=config, data_dir=data), name=APP, route_prefix="/")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_serving(started=True, app=APP)


def diffusing(client, session_id: str) -> bool:
    """True once the session's running turn has made its second diffusion step (`client`: an httpx
    client on the API); False when the turn ends or none runs."""
    with client.stream("GET", f"/v1/sessions/{session_id}/events") as stream:
        for line in stream.iter_lines():
            if '"stage": "inpaint"' in line and '"done": 2' in line:
                return True
            if line.startswith("event: end") or line.startswith("event: idle"):
                return False
    return False
