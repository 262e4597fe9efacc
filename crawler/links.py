"""The links of an archived page, as the spider reads them: which pages it still points to.

Recorded with each extraction so the resolve stage can tell a page that is no longer linked
(dropped) from one that was not reached because the page linking to it failed (kept).
"""

from __future__ import annotations

from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from spiders.program_spider import canonical

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Every extension: a link to a page we hold counts whatever its name ends with.
_EXTRACTOR = LinkExtractor(unique=True, deny_extensions=[])

__all__ = ["canonical", "page_links"]


def page_links(body: bytes, content_type: str | None, url: str) -> list[str]:
    """Sorted canonical URLs an HTML BODY fetched from URL links to; [] for other types."""
    kind = (content_type or "text/html").split(";")[0].strip().lower()
    if kind not in HTML_TYPES or not body:
        return []
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse(url=url, body=body, headers=headers)
    return sorted({canonical(link.url) for link in _EXTRACTOR.extract_links(response)})
