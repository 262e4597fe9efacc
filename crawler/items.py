"""What spiders hand to the pipeline: one fetch of one URL for one program."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class CaptureItem:
    program_id: str
    url: str  # canonical URL of the page (after redirects)
    requested_url: str
    fetched_at: datetime
    depth: int
    status: int | None = None
    content_type: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    body: bytes | None = None
    error: str | None = None  # failure reason; None for a successful fetch
    rendered: bool = False
    not_due: bool = False  # not fetched: the page is not due (its links came from the archive)
