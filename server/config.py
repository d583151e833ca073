"""The serve configuration: Ray resources and per-deployment shapes, from a YAML file.

    config = load_config(None)                   # prompts/serve.yaml, the one-machine default
    config = load_config(Path("serve.yaml"))     # yours: any key missing keeps the default
    config.deployment_options("sd")              # {"num_replicas": 1, "ray_actor_options": {...}, ...}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from tools.errors import BadInputError

DEPLOYMENTS = ("gateway", "sam", "clip", "sd")
ACTOR_KEYS = ("num_cpus", "num_gpus", "memory")
SERVE_KEYS = ("num_replicas", "max_ongoing_requests", "autoscaling_config", "health_check_period_s",
              "graceful_shutdown_timeout_s")
BATCH_KEYS = ("max_batch_size", "batch_wait_s")


@dataclass(frozen=True)
class ServeConfig:
    """What `edit-everything serve` deploys. `deployments[name]` holds Ray Serve options of the
    deployment `name` ("gateway", "sam", "clip", "sd") plus clip's batching."""

    num_cpus: float | None = 8
    num_gpus: float | None = None
    torch_threads: int | None = None
    max_upload_bytes: int = 50 * 1024 * 1024
    deployments: dict[str, dict] = field(default_factory=dict)

    def deployment_options(self, name: str) -> dict:
        """The keyword arguments of `Deployment.options(...)` for deployment `name`."""
        given = self.deployments.get(name, {})
        options = {key: given[key] for key in SERVE_KEYS if key in given and given[key] is not None}
        actor = {key: given[key] for key in ACTOR_KEYS if given.get(key) is not None}
        if actor:
            options["ray_actor_options"] = actor
        if name == "clip":  # a batch can only fill when that many requests may be in the replica at once
            options["max_ongoing_requests"] = max(options.get("max_ongoing_requests", 5), self.batch_size)
        if options.get("num_replicas") == "auto" and "autoscaling_config" not in options:
            options["autoscaling_config"] = {"min_replicas": 1, "max_replicas": 4, "target_ongoing_requests": 2}
        return options

    @property
    def batch_size(self) -> int:
        return int(self.deployments.get("clip", {}).get("max_batch_size", 8))

    @property
    def batch_wait_s(self) -> float:
        return float(self.deployments.get("clip", {}).get("batch_wait_s", 0.01))


def load_config(path: Path | str | None = None, **changes) -> ServeConfig:
    """The default config with `path`'s values over it (and `changes`, e.g. torch_threads=1, over
    both). A missing, unreadable or malformed file is a BadInputError naming it."""
    default = yaml.safe_load(resources.files("prompts").joinpath("serve.yaml").read_text(encoding="utf-8"))
    given = _read(Path(path)) if path is not None else {}
    unknown = set(given) - set(default)
    if unknown:
        raise BadInputError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(default)}.",
                            zh=f"{path}：未知的设置 {'、'.join(sorted(unknown))}；可用：{'、'.join(default)}。")
    deployments = {name: {**default["deployments"].get(name, {}), **(given.get("deployments") or {}).get(name, {})}
                   for name in DEPLOYMENTS}
    ray_options = {**default["ray"], **(given.get("ray") or {})}
    values = dict(num_cpus=ray_options.get("num_cpus"), num_gpus=ray_options.get("num_gpus"),
                  torch_threads=given.get("torch_threads", default["torch_threads"]),
                  max_upload_bytes=int(given.get("max_upload_bytes", default["max_upload_bytes"])),
                  deployments=deployments)
    values.update(changes)
    return ServeConfig(**values)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BadInputError(f"Cannot read the serve config {path}: {error.strerror or error}.",
                            zh=f"无法读取服务配置 {path}：{error.strerror or error}。") from error
    except yaml.YAMLError as error:
        raise BadInputError(f"The serve config {path} is not valid YAML.",
                            zh=f"服务配置 {path} 不是有效的 YAML。") from error
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInputError(f"The serve config {path} must be a mapping of settings.",
                            zh=f"服务配置 {path} 必须是设置的映射。")
    return data
