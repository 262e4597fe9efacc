"""Crawled strings made storable: what PostgreSQL rejects is replaced, what is too long is cut.

Anything read from a crawled page may reach a column: NUL characters (PostgreSQL text cannot
hold them), lone surrogates (not encodable as UTF-8) and strings longer than their column
(PostgreSQL refuses them where SQLite silently stores them). One such page must never stop a
cycle, on either database.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

REPLACEMENT = "\ufffd"  # what HTML parsers already turn NUL into; same length keeps offsets
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
ELISION = " … "


def storable(text: str) -> str:
    """TEXT with NUL and lone surrogates replaced, one character for one (offsets hold)."""
    return UNSTORABLE.sub(REPLACEMENT, text)


def storable_json(value: Any) -> Any:
    """A JSON value with every string in it (keys included) made storable."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_json(k): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value


def fit(text: str | None, limit: int) -> str | None:
    """TEXT made storable and at most LIMIT characters: the middle is elided, so a long CSS
    path keeps both its root and the element it ends on."""
    if text is None:
        return None
    text = storable(text)
    if len(text) <= limit:
        return text
    keep = limit - len(ELISION)
    head = keep // 2
    return text[:head] + ELISION + text[len(text) - (keep - head) :]


def fit_column(column: InstrumentedAttribute, text: str | None) -> str | None:
    """TEXT fitted to the length of the String COLUMN (e.g. Finding.locator)."""
    return fit(text, column.property.columns[0].type.length)


def bounded_span(quote: str, start: int, limit: int) -> tuple[str, int, int]:
    """A quote of at most LIMIT characters that is still exactly text[start:end]: a longer one
    is shortened from its end (a quote is evidence; an edited one would not be)."""
    quote = storable(quote[:limit])
    return quote, start, start + len(quote)
