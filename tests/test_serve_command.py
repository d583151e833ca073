"""`edit-everything serve --preset tiny` as a user runs it: the console script in a subprocess, the
README's curl calls against it, a restart that continues a session, the API key on a public address,
and SIGTERM / Ctrl-C leaving no Ray process behind. Two full server starts (1.5-4 min each on 2 busy
cores) and one stopped while its models load (about 1 min); the README example runs as written (the
tiny preset's default of 2 diffusion steps), only its port and curl's path changed."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image
from served import free_port

pytest.importorskip("ray.serve", reason="the [serve] extra (make test installs it)")

README = Path(__file__).resolve().parents[1] / "README.md"
SCRIPT = Path(sys.executable).parent / "edit-everything"
CURL = "/usr/bin/curl"
API_KEY = "test-key-5d1c"
READY_S = 600  # Ray, six replicas and the tiny models on two busy cores
STOP_S = 60
STOPPED = ("server stopped", "服务已停止")


@dataclass
class Server:
    """One `edit-everything serve` process (its own process group, as a job in a terminal)."""

    process: subprocess.Popen
    port: int
    folder: Path
    notes: dict = field(default_factory=dict)

    @property
    def stderr(self) -> str:
        return (self.folder / "stderr.txt").read_text(encoding="utf-8", errors="replace")

    @property
    def stdout(self) -> str:
        return (self.folder / "stdout.txt").read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, stream: str = "stdout", timeout: float = READY_S) -> None:
        deadline = time.monotonic() + timeout
        while text not in getattr(self, stream):
            assert self.process.poll() is None, f"serve exited with {self.process.returncode}:\n{self.stderr}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{self.stderr}"
            time.sleep(0.5)

    def ray_processes(self) -> list[psutil.Process]:
        """Every process the server started (Ray's gcs_server, raylet, workers, replicas)."""
        return psutil.Process(self.process.pid).children(recursive=True)

    @property
    def ray_names(self) -> str:
        names = []
        for process in self.ray_processes():
            try:
                names.append(" ".join(process.cmdline()))
            except psutil.Error:  # gone meanwhile
                pass
        return " ".join(names)

    def kill(self) -> None:
        """Test cleanup only: whatever is left of this server, gone."""
        if self.process.poll() is not None:
            return
        for process in [*self.ray_processes(), psutil.Process(self.process.pid)]:
            try:
                process.kill()
            except psutil.Error:
                pass


def start_server(folder: Path, data: Path, *args: str, **env: str) -> Server:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "EDIT_EVERYTHING_API_KEY")}
    environment.update(EDIT_EVERYTHING_LOG=str(folder / "cli.log"), OMP_NUM_THREADS="1", **env)
    command = [str(SCRIPT), "serve", "--preset", "tiny", "--port", str(port), "--data-dir", str(data), *args]
    with open(folder / "stdout.txt", "w") as out, open(folder / "stderr.txt", "w") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=folder, env=environment,
                                   start_new_session=True)
    return Server(process, port, folder)


def stop_and_check(server: Server, *signals: signal.Signals, to_group: bool = False,
                   started: tuple[str, ...] = ("raylet", "gcs_server", "ServeReplica")) -> float:
    """Send `signals` (one second apart) and check: exit 0 within STOP_S, one line, no traceback,
    every process of its Ray gone. Returns the seconds it took to exit."""
    started_here, names = server.ray_processes(), server.ray_names
    assert all(name in names for name in started), names  # it did start a Ray (and Serve's replicas)
    ray_session = re.search(r"session_[0-9_-]+", names).group(0)
    began = time.monotonic()
    for number, sig in enumerate(signals):
        if number:
            time.sleep(1)
        os.killpg(server.process.pid, sig) if to_group else server.process.send_signal(sig)
    code = server.process.wait(STOP_S)
    took = time.monotonic() - began
    _, left = psutil.wait_procs(started_here, timeout=10)
    assert not left, f"left running: {[(p.pid, p.name()) for p in left]}"
    strays = [p.pid for p in psutil.process_iter(["cmdline"]) if ray_session in " ".join(p.info["cmdline"] or ())]
    assert not strays, f"processes of {ray_session} left: {strays}"
    assert code == 0, server.stderr
    assert "Traceback" not in server.stderr and "Traceback" not in server.stdout
    assert server.stderr.strip().splitlines()[-1] in STOPPED
    return took


def readme_curl_block(port: int) -> str:
    """The README's serve example (bash), aimed at `port`."""
    section = README.read_text(encoding="utf-8").split("edit-everything serve --preset tiny", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    assert "localhost:8000" in block and "photo.jpg" in block and "把猫换成狗" in block
    return block.replace("curl ", f"{CURL} ").replace("localhost:8000", f"localhost:{port}")


def json_values(text: str) -> list:
    """The JSON documents curl printed one after another (no separators)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text):
        if text[at].isspace():
            at += 1
            continue
        value, at = decoder.raw_decode(text, at)
        values.append(value)
    return values


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("served-data")


@pytest.fixture(scope="module")
def first_server(tiny_models, tmp_path_factory, data_dir):
    server = start_server(tmp_path_factory.mktemp("first-serve"), data_dir)
    server.wait_for("serving the 'tiny' preset")
    yield server
    server.kill()


def test_the_readme_curl_calls_edit_a_photo(first_server, small_photo):
    folder = first_server.folder
    small_photo.save(folder / "photo.jpg", quality=95)
    script = readme_curl_block(first_server.port) + '\nprintf "\\n"; printf "%s" "$ID" > id.txt\n'
    environment = {**os.environ, "PATH": f"{SCRIPT.parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=folder, env=environment, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    health, reply = json_values(done.stdout)
    assert health["status"] == "ok" and health["preset"] == "tiny"
    session_id = (folder / "id.txt").read_text()
    assert re.fullmatch(r"[0-9a-f]{16,}", session_id)
    assert reply["kind"] == "edited" and reply["version"] == 1 and "狗" in reply["text"]
    out = Image.open(folder / "out.png")
    assert out.format == "PNG" and out.size == small_photo.size
    photo = np.asarray(Image.open(folder / "photo.jpg").convert("RGB"))
    assert (np.asarray(out.convert("RGB")) != photo).any()
    first_server.notes["session"] = session_id


def test_sigterm_stops_the_server_and_every_ray_process_it_started(first_server):
    took = stop_and_check(first_server, signal.SIGTERM)
    assert took < STOP_S


def test_serving_on_a_public_address_without_a_key_is_refused_at_once(tmp_path):
    began = time.monotonic()
    cache = tmp_path / "empty-model-cache"
    server = start_server(tmp_path, tmp_path / "data", "--host", "0.0.0.0", EDIT_EVERYTHING_CACHE=str(cache))
    code = server.process.wait(120)
    took = time.monotonic() - began
    lines = server.stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "EDIT_EVERYTHING_API_KEY" in lines[0]
    assert not cache.exists() and not (tmp_path / "data").exists()  # refused before any model or Ray
    assert took < 30


@pytest.fixture(scope="module")
def public_server(first_server, tmp_path_factory, data_dir):
    """The server restarted on the same data, on every address, with an API key."""
    if first_server.process.poll() is None:
        stop_and_check(first_server, signal.SIGTERM)
    server = start_server(tmp_path_factory.mktemp("second-serve"), data_dir, "--host", "0.0.0.0",
                          EDIT_EVERYTHING_API_KEY=API_KEY)
    server.wait_for("serving the 'tiny' preset")
    yield server
    server.kill()


def curl(server: Server, path: str, *args: str, key: str | None = API_KEY) -> tuple[int, dict]:
    """(HTTP status, JSON body) of /usr/bin/curl on the server's `path`."""
    auth = ["-H", f"Authorization: Bearer {key}"] if key else []
    done = subprocess.run([CURL, "-s", "-w", "\n%{http_code}", *auth, *args, f"http://127.0.0.1:{server.port}{path}"],
                          capture_output=True, text=True, timeout=300)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body) if body else {}


def test_the_api_key_guards_a_server_on_a_public_address(public_server):
    status, body = curl(public_server, "/v1/health", key=None)
    assert status == 401 and body["error"] == "unauthorized"
    status, _ = curl(public_server, "/v1/health", key="wrong")
    assert status == 401
    status, body = curl(public_server, "/v1/health")
    assert status == 200 and body["status"] == "ok"


def test_a_restarted_server_continues_the_session(public_server, first_server):
    session_id = first_server.notes.get("session")
    assert session_id, "the README test made no session"
    status, reply = curl(public_server, f"/v1/sessions/{session_id}/messages", "-H", "content-type: application/json",
                         "-d", json.dumps({"text": "把狗变成红色"}))
    assert status == 200 and reply["kind"] == "edited" and reply["version"] == 2
    status, shown = curl(public_server, f"/v1/sessions/{session_id}")
    assert status == 200 and shown["version"] == 2
    assert [v["instruction"] for v in shown["versions"]][1:] == ["把猫换成狗", "把狗变成红色"]


def test_ctrl_c_twice_stops_the_server_and_every_ray_process_it_started(public_server):
    took = stop_and_check(public_server, signal.SIGINT, signal.SIGINT, to_group=True)
    assert took < STOP_S


def test_ctrl_c_while_the_models_load_stops_at_once(tiny_models, tmp_path):
    server = start_server(tmp_path, tmp_path / "data")
    try:
        server.wait_for("Started Serve", stream="stderr")  # the model workers now start for a while
        stop_and_check(server, signal.SIGINT, to_group=True, started=("raylet", "gcs_server"))
        assert "serving the" not in server.stdout  # it stopped before the models were served
    finally:
        server.kill()
