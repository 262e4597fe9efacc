"""Bodies stored once by sha256 under the data directory (content-addressed, write-once)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class CaptureStore:
    """blobs/ab/cd/abcdef... ; a body fetched twice is stored once."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "blobs"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, body: bytes) -> tuple[str, bool]:
        """Store BODY; returns (sha256, newly_stored)."""
        sha256 = hashlib.sha256(body).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256, False
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temp file and rename: a crash never leaves a truncated blob under its key.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, target)
        return sha256, True

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def count(self) -> int:
        return sum(1 for p in self.root.glob("*/*/*") if not p.name.startswith(".tmp-"))
