"""Adaptive refresh: how soon each page is worth fetching again.

Like Nutch's AdaptiveFetchSchedule: a page that changed is checked sooner next time, a page that
did not is checked later, within bounds. Pages of the types IMGs depend on most (roster, visa,
eligibility) are checked every cycle whatever their history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

INITIAL_HOURS = 24.0
MIN_HOURS = 6.0  # never more often than this, however often a page changes
MAX_HOURS = 24.0 * 30  # never less often than monthly, however stable a page looks
CHANGED_FACTOR = 0.5  # halve the interval after a change
UNCHANGED_FACTOR = 1.5  # grow it by half after a cycle without one
ALWAYS_CHECKED = frozenset({"roster", "visa", "eligibility"})


def next_interval(hours: float | None, changed: bool) -> float:
    """The refresh interval after a fetch that did (or did not) find a change."""
    if hours is None:
        return INITIAL_HOURS
    factor = CHANGED_FACTOR if changed else UNCHANGED_FACTOR
    return min(MAX_HOURS, max(MIN_HOURS, hours * factor))


def schedule_after_fetch(page, fetched_at: datetime, changed: bool) -> None:
    """Update PAGE's interval and next due time after a successful fetch."""
    page.refresh_hours = next_interval(page.refresh_hours, changed)
    page.next_due_at = fetched_at + timedelta(hours=page.refresh_hours)
    if changed:
        page.last_changed_at = fetched_at


def is_due(page_types: list[str] | None, next_due_at: datetime | None, now: datetime) -> bool:
    """Whether a known page must be fetched in a cycle starting at NOW."""
    if next_due_at is None or ALWAYS_CHECKED & set(page_types or ()):
        return True
    if next_due_at.tzinfo is None:  # SQLite hands back naive UTC
        now = now.replace(tzinfo=None)
    return now >= next_due_at
