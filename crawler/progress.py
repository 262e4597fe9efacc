"""Progress lines on stdout for the parent process (one JSON object per line)."""

from __future__ import annotations

import json
import sys

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured


class ProgressReporter:
    """Prints {"scheduled": n, "done": m, "url": ..., "ok": ...} as pages finish.

    Enabled by IMGCRAWL_PROGRESS; the orchestrator turns the lines into a progress bar.
    """

    def __init__(self) -> None:
        self.scheduled = 0
        self.done = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressReporter:
        if not crawler.settings.getbool("IMGCRAWL_PROGRESS"):
            raise NotConfigured
        extension = cls()
        crawler.signals.connect(extension.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def _emit(self, **fields) -> None:
        sys.stdout.write(
            json.dumps({"scheduled": self.scheduled, "done": self.done, **fields}) + "\n"
        )
        sys.stdout.flush()

    def request_scheduled(self, request, spider) -> None:
        if request.meta.get("program_id"):
            self.scheduled += 1

    def item_scraped(self, item, response, spider) -> None:
        self.done += 1
        self._emit(url=item.url, program=item.program_id, ok=item.error is None)
