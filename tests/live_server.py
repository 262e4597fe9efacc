"""A real uvicorn server on a free loopback port, in a background thread (tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn


def start(app) -> tuple[str, uvicorn.Server]:
    """Serve APP; returns (base URL, server). Stop with `server.should_exit = True`."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server
