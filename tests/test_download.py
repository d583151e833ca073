"""`edit-everything download`: every model of a preset into the cache with progress, or one line saying
what is missing and which variable to set. Downloads here only ever come from a server on 127.0.0.1."""
import hashlib
import http.server
import threading
from dataclasses import replace

import pytest

from tools.errors import ModelUnavailableError
from tools.presets import SamCheckpoint, get_preset
from tools.transfer import DownloadProgress
from ui.cli import main

PAYLOAD = bytes(range(256)) * 12_000  # 3 MB: several chunks, so progress arrives in steps


@pytest.fixture
def loopback_sam(monkeypatch, tmp_path):
    """A "vit_b" checkpoint served by a local HTTP server on 127.0.0.1, with downloads switched on."""
    import tools.fetch

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sam_vit_b_test.pth"

    def serve(md5: str = hashlib.md5(PAYLOAD).hexdigest()):
        monkeypatch.setitem(tools.fetch.SAM_CHECKPOINTS, "vit_b", SamCheckpoint("vit_b", url, md5))
        return url

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("EDIT_EVERYTHING_OFFLINE", raising=False)
    monkeypatch.setenv("EDIT_EVERYTHING_CACHE", str(tmp_path / "cache"))
    yield serve
    server.shutdown()


def test_the_sam_fetch_reports_each_chunk_and_keeps_the_checked_file(loopback_sam, tmp_path):
    from tools.fetch import sam_checkpoint_path

    loopback_sam()
    events: list[DownloadProgress] = []
    path = sam_checkpoint_path("vit_b", on_progress=events.append)
    assert path.read_bytes() == PAYLOAD and path.parent == tmp_path / "cache" / "sam"
    assert {e.file for e in events} == {"sam_vit_b_test.pth"} and {e.total for e in events} == {len(PAYLOAD)}
    assert events[0].done == 0 and events[-1].done == len(PAYLOAD) and events[-1].finished
    assert len(events) > 2 and [e.done for e in events] == sorted(e.done for e in events)


def test_a_download_with_the_wrong_checksum_leaves_nothing_behind(loopback_sam, tmp_path):
    from tools.fetch import sam_checkpoint_path

    loopback_sam(md5="0" * 32)
    with pytest.raises(ModelUnavailableError, match="checksum") as caught:
        sam_checkpoint_path("vit_b")
    assert "EDIT_EVERYTHING_SAM" in caught.value.message
    assert not any((tmp_path / "cache" / "sam").iterdir())


def test_the_app_fetches_what_a_turn_needs_first_and_shows_it(loopback_sam, model_cache):
    """A turn on a preset whose SAM is not in the cache: the download runs before the turn, its
    progress drawn in the turn's status (file, MB done of total, a bar)."""
    from tools.models import Models
    from ui.models import fetch_for_turn
    from ui.turns import DownloadView

    loopback_sam()
    tiny = get_preset("tiny")
    models = Models(preset=replace(tiny, name="first-run", tiny=False, sources=dict(tiny.sources, sam="vit_b"),
                                   sam_variant="tiny"), device="cpu")
    status, bar = Recorder(), Recorder()
    fetch_for_turn(models, "zh", on_progress=DownloadView(status, bar, "en"))
    shares = [args[0] for name, args, _ in bar.calls if name == "progress"]
    labels = [kwargs["text"] for name, _, kwargs in bar.calls if name == "progress"]
    assert shares[-1] == 1.0 and shares == sorted(shares) and len(shares) > 1
    assert "sam_vit_b_test.pth" in labels[-1] and "3/3 MB" in labels[-1]
    assert status.calls[-1][2]["label"] == labels[-1]


class Recorder:
    """Stands in for st.status / st.progress: records every call."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def test_download_tiny_builds_the_models_offline_and_says_where(capsys, model_cache):
    assert main(["download", "--preset", "tiny"]) == 0
    out = capsys.readouterr().out
    assert f"built the tiny models in {model_cache / 'tiny'}" in out
    for component in ("sam", "clip_en", "clip_zh", "sd_en", "sd_zh"):
        assert f"{component}: " in out
    assert (model_cache / "tiny" / "sd_zh" / "model_index.json").is_file()


@pytest.mark.parametrize("local_sam, missing, variable", [(False, "vit_h", "EDIT_EVERYTHING_SAM"),
                                                          (True, "openai/clip-vit-large-patch14",
                                                           "EDIT_EVERYTHING_CLIP_EN")])
def test_download_offline_with_an_empty_cache_is_one_line_naming_the_model_and_the_variable(
        capsys, monkeypatch, tmp_path, model_cache, local_sam, missing, variable):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("EDIT_EVERYTHING_CACHE", str(tmp_path / "empty"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    if local_sam:
        monkeypatch.setenv("EDIT_EVERYTHING_SAM", get_preset("tiny").sources["sam"].replace(
            str(tmp_path / "empty"), str(model_cache)))
    assert main(["download", "--preset", "en"]) == 2
    captured = capsys.readouterr()
    error = captured.err.strip()
    assert "\n" not in error and missing in error and variable in error and "Traceback" not in error


def test_only_the_files_a_loader_reads_are_fetched_from_the_hub():
    from tools.prefetch import hub_files_to_fetch

    sd = ["model_index.json", "sd-v1-5-inpainting.ckpt", "README.md", "unet/config.json",
          "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
          "unet/diffusion_pytorch_model.bin", "vae/config.json", "vae/diffusion_pytorch_model.bin",
          "text_encoder/model.safetensors", "tokenizer/vocab.json", "tokenizer/merges.txt",
          "safety_checker/model.safetensors", "scheduler/scheduler_config.json", "unet/sub/x.bin"]
    assert sorted(hub_files_to_fetch(sd, pipeline=True)) == sorted([
        "model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors", "vae/config.json",
        "vae/diffusion_pytorch_model.bin", "text_encoder/model.safetensors", "tokenizer/vocab.json",
        "tokenizer/merges.txt", "scheduler/scheduler_config.json"])
    clip = ["config.json", "model.safetensors", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack",
            "vocab.json", "merges.txt", "tokenizer.json", "preprocessor_config.json", "README.md"]
    assert sorted(hub_files_to_fetch(clip, pipeline=False)) == sorted([
        "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer.json",
        "preprocessor_config.json"])
