"""Serving many people at once: the HTTP sessions API over Ray Serve model workers.

    config.py    ServeConfig: deployment shapes (replicas, CPUs, GPUs, batching) from a YAML file
    workers.py   the model deployments: SAM, CLIP (batched across requests), Stable Diffusion
    remote.py    RemoteModels: the `tools.models.Models` interface, its tools reached through handles
    service.py   SessionService: sessions by id over the store, busy flags, progress for the event stream
    wire.py      replies and errors as JSON, HTTP statuses for error kinds
    gateway.py   the FastAPI ingress deployment (API v1) and `build_app`
    launch.py    start or join Ray, deploy, wait for SIGTERM / Ctrl-C, stop everything started
    client.py    an HTTP client with the same interface as `Session`

Nothing here is imported by the embedded mode: Ray is needed only by `edit-everything serve`.
"""
