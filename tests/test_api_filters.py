"""The programs list's updated_since filter and its sort orders, on values whose times are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from db.models import Program, ProgramIndicator
from web.api import create_app

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(db):
    with db.session() as session:
        for pid, name, state, updated in (
            ("p-1", "Zeta Surgery", "TX", T0 + timedelta(days=2)),
            ("p-2", "Alpha Medicine", "AZ", T0),
            ("p-3", "Mid Pediatrics", "TX", T0 + timedelta(days=1)),
            ("p-4", "Beta Neurology", "AZ", T0 + timedelta(days=3)),
        ):
            session.add(
                Program(
                    id=pid,
                    name=name,
                    state=state,
                    website=f"https://{pid}.example.org/",
                    allowed_domains=[f"{pid}.example.org"],
                    updated_at=updated,
                )
            )
        session.flush()
        # Values updated at known times: p-1 long ago, p-3 at T0, p-4 a day later.
        for pid, when in (
            ("p-1", T0 - timedelta(days=30)),
            ("p-3", T0),
            ("p-4", T0 + timedelta(days=1)),
        ):
            session.add(
                ProgramIndicator(
                    program_id=pid, indicator="visa.j1", value="yes", status="auto", updated_at=when
                )
            )
    with TestClient(create_app(db.url)) as test_client:
        yield test_client


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_updated_since_keeps_programs_with_a_value_updated_at_or_after(client):
    assert ids(client.get("/api/programs", params={"updated_since": T0.isoformat()})) == [
        "p-3",
        "p-4",
    ]
    later = (T0 + timedelta(hours=1)).isoformat()
    assert ids(client.get("/api/programs", params={"updated_since": later})) == ["p-4"]
    # A naive time is UTC; an offset is honoured (14:00+02:00 is T0).
    assert ids(client.get("/api/programs", params={"updated_since": "2026-03-01T12:00:00"})) == [
        "p-3",
        "p-4",
    ]
    assert ids(
        client.get("/api/programs", params={"updated_since": "2026-03-01T14:00:00+02:00"})
    ) == ["p-3", "p-4"]
    assert client.get("/api/programs", params={"updated_since": "yesterday"}).status_code == 422


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("id", ["p-1", "p-2", "p-3", "p-4"]),
        ("name", ["p-2", "p-4", "p-3", "p-1"]),
        ("state", ["p-2", "p-4", "p-1", "p-3"]),  # ties in id order
        ("updated_at", ["p-2", "p-3", "p-1", "p-4"]),
    ],
)
def test_sort_orders_are_stable_across_pages(client, sort, expected):
    pages = [
        ids(client.get("/api/programs", params={"sort": sort, "limit": 2, "offset": offset}))
        for offset in (0, 2)
    ]
    assert pages[0] + pages[1] == expected
    assert client.get("/api/programs", params={"sort": "popularity"}).status_code == 422
