"""The capture pipeline: every fetch becomes a Capture row; bodies go to the capture store."""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler.capture_store import CaptureStore
from crawler.items import CaptureItem
from crawler.refresh import schedule_after_fetch
from db.models import Capture, Page
from db.session import Database

logger = logging.getLogger(__name__)

# Bodies worth keeping: pages and documents a reviewer may need to see again.
STORED_TYPES = ("text/", "application/xhtml", "application/pdf", "application/json")


class CapturePipeline:
    """Writes one Capture per item (and its Page on first sight) in its own transaction.

    Counts `imgcrawl/captures`, `imgcrawl/failed/<reason>`, `imgcrawl/bodies_stored`,
    `imgcrawl/bodies_deduplicated`, `imgcrawl/bytes` and `imgcrawl/unchanged`.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.get("IMGCRAWL_DATABASE_URL") or not settings.getint("IMGCRAWL_RUN_ID"):
            raise NotConfigured("IMGCRAWL_DATABASE_URL and IMGCRAWL_RUN_ID are required")
        self.stats = crawler.stats
        self.run_id = settings.getint("IMGCRAWL_RUN_ID")
        self.db = Database(settings["IMGCRAWL_DATABASE_URL"], migrate=False)
        self.store = CaptureStore(Path(settings["IMGCRAWL_DATA_DIR"]))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CapturePipeline:
        return cls(crawler)

    def close_spider(self, spider=None) -> None:
        self.db.dispose()

    def process_item(self, item: CaptureItem, spider=None) -> CaptureItem:
        sha256 = None
        stored_body = (
            item.body is not None
            and item.error is None
            and ((item.content_type or "text/html").startswith(STORED_TYPES))
        )
        if stored_body:
            sha256, new = self.store.put(item.body)
            self.stats.inc_value(
                "imgcrawl/bodies_stored" if new else "imgcrawl/bodies_deduplicated"
            )
            self.stats.inc_value("imgcrawl/bytes", len(item.body))
        with self.db.session() as session:
            page = session.scalars(
                select(Page).where(Page.program_id == item.program_id, Page.url == item.url)
            ).one_or_none()
            if page is None:
                page = Page(program_id=item.program_id, url=item.url)
                session.add(page)
                session.flush()
            # Compared with the page's last body of the same kind: a rendered page is compared
            # with its last rendering, its static shell with the last shell.
            previous = session.scalars(
                select(Capture.body_sha256)
                .where(
                    Capture.page_id == page.id,
                    Capture.body_sha256.is_not(None),
                    Capture.rendered.is_(item.rendered),
                )
                .order_by(Capture.id.desc())
                .limit(1)
            ).first()
            # Unchanged: not due, the server said 304, or it sent the same bytes as last time.
            unchanged = (
                item.not_due or item.status == 304 or (sha256 is not None and previous == sha256)
            )
            if item.error is None and not item.not_due:
                if item.status != 304:
                    page.etag = item.headers.get("ETag")
                    page.last_modified = item.headers.get("Last-Modified")
                schedule_after_fetch(page, item.fetched_at, changed=not unchanged)
            session.add(
                Capture(
                    page_id=page.id,
                    run_id=self.run_id,
                    fetched_at=item.fetched_at,
                    final_url=item.url if item.url != item.requested_url else None,
                    http_status=item.status,
                    content_type=item.content_type,
                    headers=item.headers,
                    body_sha256=sha256,
                    size=len(item.body or b""),
                    rendered=item.rendered,
                    unchanged=unchanged,
                    not_due=item.not_due,
                    error=item.error,
                    depth=item.depth,
                )
            )
        self.stats.inc_value("imgcrawl/captures")
        if item.error:
            self.stats.inc_value(f"imgcrawl/failed/{item.error.split(':')[0]}")
        elif item.not_due:
            self.stats.inc_value("imgcrawl/not_due")
        elif unchanged:
            self.stats.inc_value("imgcrawl/unchanged")
            if item.status == 304:
                self.stats.inc_value("imgcrawl/not_modified")
        return item
