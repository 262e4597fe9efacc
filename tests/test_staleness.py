"""meta.page_stale: a retired exam still asked for, or a past application cycle shown as current."""

from datetime import date

import pytest

from normalizers.staleness import extract_staleness
from normalizers.text import html_to_document

NOV_2026 = date(2026, 11, 1)


def stale(html: str, as_of: date | None = NOV_2026) -> list[dict]:
    return [f.detail for f in extract_staleness(html_to_document(html), as_of) if f.value is True]


@pytest.mark.parametrize(
    "html, reason",
    [
        ("<p>Applicants must have passed USMLE Step 2 CS before ranking.</p>", "retired_exam"),
        ("<li>Step 2 Clinical Skills: pass required</li>", "retired_exam"),
        (
            "<p>Applications for the 2021-2022 recruitment season are now open.</p>",
            "past_cycle",
        ),
        ("<p>We will participate in the 2024 Match through ERAS.</p>", "past_cycle"),
        (
            "<p>The deadline for the 2025-26 application cycle is October 15.</p>",
            "past_cycle",
        ),
    ],
)
def test_stale_pages(html, reason):
    assert [d["reason"] for d in stale(html)] == [reason]


@pytest.mark.parametrize(
    "html",
    [
        # The exam named as gone, or a cycle named in the past tense, is not staleness.
        "<p>Step 2 CS was discontinued in 2021 and is no longer required.</p>",
        "<p>In the 2021 Match we filled all twelve positions.</p>",
        # The cycle running on the day of the fetch is current, not past.
        "<p>Applications for the 2026-2027 application cycle are now open.</p>",
        "<p>We will participate in the 2027 Match.</p>",
        # A question states nothing.
        "<p>Is Step 2 CS required?</p>",
    ],
)
def test_current_or_historical_pages_are_not_stale(html):
    assert stale(html) == []


def test_a_cycle_is_judged_by_the_day_the_page_was_fetched():
    page = "<p>Applications for the 2025-2026 application season are now open.</p>"
    assert stale(page, date(2025, 10, 1)) == []
    assert [d["cycle"] for d in stale(page, NOV_2026)] == ["2025-2026 application season"]
    assert stale(page, None) == []  # without a fetch date, cycles are not judged
