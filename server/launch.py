"""Start (or join) Ray, deploy the application, serve until SIGTERM / Ctrl-C, stop what was started.

    serve_until_stopped(preset="tiny", host="127.0.0.1", port=8000, config=load_config(None),
                        data_dir=Path("sessions"), on_ready=print)

Without RAY_ADDRESS a local Ray is started with the config's logical CPUs/GPUs and shut down at the
end (every Ray process it started goes with it); with RAY_ADDRESS this joins that cluster and at the
end deletes only its own application.
"""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Callable

from server.config import ServeConfig
from tools.errors import BadInputError, ModelUnavailableError

APP_NAME = "edit-everything"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
API_KEY_ENV = "EDIT_EVERYTHING_API_KEY"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def check_exposure(host: str, api_key: str) -> None:
    """Bound to anything but localhost, the API needs a key: refused before anything starts."""
    if host not in LOCAL_HOSTS and not api_key:
        raise BadInputError(f"Serving on {host} (not localhost) needs an API key: set {API_KEY_ENV}.",
                            zh=f"在 {host}（非本机地址）上提供服务需要 API 密钥：请设置 {API_KEY_ENV}。")


def start_ray(config: ServeConfig) -> bool:
    """Join RAY_ADDRESS, or start a local Ray with the config's resources; True when started here."""
    import ray

    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
        return False
    paths = [str(PROJECT_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    ray.init(num_cpus=config.num_cpus, num_gpus=config.num_gpus, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}})
    return True


def serve_until_stopped(*, preset: str, host: str, port: int, config: ServeConfig, data_dir: Path,
                        on_ready: Callable[[str], None], stop: threading.Event | None = None) -> None:
    """Deploy and serve until SIGTERM/SIGINT (or `stop` is set), then stop what this started."""
    from ray import serve

    from server.gateway import build_app

    api_key = os.environ.get(API_KEY_ENV, "")
    check_exposure(host, api_key)
    stop = stop or threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = start_ray(config)
    for sig in previous:  # ray.init puts in its own SIGTERM handler, which aborts without stopping Ray
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": host, "port": port})
        app = build_app(preset=preset, config=config, data_dir=data_dir, api_key=api_key)
        if deploy(app, stop=stop):
            on_ready(f"http://{host}:{port}")
        while not stop.wait(0.5):
            pass
    finally:
        stop_serving(started=started)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def deploy(app, *, stop: threading.Event, poll_s: float = 0.5) -> bool:
    """Deploy `app` without blocking on it: True once it runs, False when `stop` is set first (Ctrl-C
    while the models load stops at once). A deployment that fails is a ModelUnavailableError."""
    from ray import serve

    serve.run_many([serve.RunTarget(app, name=APP_NAME, route_prefix="/")],
                   wait_for_ingress_deployment_creation=False, wait_for_applications_running=False)
    while not stop.wait(poll_s):
        status = serve.status().applications.get(APP_NAME)
        if status is not None and status.status == "RUNNING":
            return True
        if status is not None and status.status == "DEPLOY_FAILED":
            reason = (status.message or "see the Ray logs").strip().splitlines()[0]
            raise ModelUnavailableError(f"The model workers could not start: {reason}",
                                        zh=f"模型工作进程无法启动：{reason}")
    return False


def stop_serving(*, started: bool, app: str = APP_NAME, timeout_s: float = 30.0) -> None:
    """Serve shut down (or only `app` deleted, in a cluster this did not start), waiting at most
    `timeout_s` for replicas to drain; then Ray: a local Ray started here stops with every process."""
    import ray
    from ray import serve

    def drain() -> None:
        try:
            serve.shutdown() if started else serve.delete(app)
        except Exception:  # noqa: BLE001 - a controller already gone: nothing left to drain
            pass

    draining = threading.Thread(target=drain, daemon=True)
    draining.start()
    draining.join(timeout_s)
    ray.shutdown()
