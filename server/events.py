"""The running turn's progress as Server-Sent Events.

    event: progress           data: {"stage": "inpaint", "done": 3, "total": 20, "command": 1, "commands": 1}
    event: end                data: {}        (the turn answered: fetch the session or its image)
    event: idle               data: {}        (no turn was running)
"""
from __future__ import annotations

import asyncio
import json
from typing import AsyncIterator

from server.service import Running

POLL_S = 0.05


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def event_stream(running: Running | None) -> AsyncIterator[str]:
    """Every event of `running` from its start, then "end"; "idle" at once when nothing runs."""
    if running is None:
        yield sse("idle", {})
        return
    sent = 0
    while True:
        finished = running.finished
        events = running.events[sent:]
        for event in events:
            yield sse("progress", event)
        sent += len(events)
        if finished and sent >= len(running.events):
            yield sse("end", {})
            return
        await asyncio.sleep(POLL_S)
