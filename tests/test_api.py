"""The read API over the demo database, on SQLite and PostgreSQL, and against its own OpenAPI."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from crawler.cli import DEMO_PROGRAMS
from web.api import create_app

with DEMO_PROGRAMS.open(newline="") as _handle:
    DEMO_PROGRAM_COUNT = sum(1 for _ in csv.DictReader(_handle))


@pytest.fixture(scope="session")
def api(demo_run):
    db, run_id, _ = demo_run
    with TestClient(create_app(db.url)) as client:
        yield client, run_id


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


def test_programs_list_with_totals_and_filters(api):
    client, _ = api
    everything = client.get("/api/programs").json()
    assert everything["total"] == DEMO_PROGRAM_COUNT == len(everything["items"])
    assert ids(client.get("/api/programs", params={"visa.h1b": "conditional"})) == {
        "aurora-psych",
        "bayou-im",
        "northgate-im",
    }
    assert ids(client.get("/api/programs", params={"visa.j1": "no", "visa.h1b": "no"})) == {
        "mesa-psych",
        "summit-em",
    }
    assert ids(client.get("/api/programs", params={"state": "tx"})) == {"riverside-fm"}
    assert ids(client.get("/api/programs", params={"specialty": "internal medicine"})) == {
        "bayou-im",
        "lumen-im",
        "northgate-im",
        "prairie-im",
    }
    assert ids(client.get("/api/programs", params={"img_share_min": 0.6})) == {
        "bayou-im",
        "lumen-im",
        "prairie-im",
        "riverside-fm",
        "summit-em",
    }
    assert ids(client.get("/api/programs", params={"img_share_max": 0.0})) == {"pine-valley-neuro"}
    assert ids(client.get("/api/programs", params={"has": "people.img_chief"})) == {
        "harbor-surgery"
    }
    assert client.get("/api/programs", params={"visa.h1b": "maybe"}).status_code == 422


def test_pagination_is_stable_and_complete(api):
    client, _ = api
    pages = [
        client.get("/api/programs", params={"limit": 3, "offset": offset, "sort": "state"}).json()
        for offset in range(0, DEMO_PROGRAM_COUNT, 3)
    ]
    seen = [item["id"] for page in pages for item in page["items"]]
    assert len(seen) == len(set(seen)) == DEMO_PROGRAM_COUNT
    assert all(page["total"] == DEMO_PROGRAM_COUNT for page in pages)
    states = [item["state"] for page in pages for item in page["items"]]
    assert states == sorted(states)


def test_program_detail_has_values_with_evidence_residents_and_history(api):
    client, run_id = api
    detail = client.get("/api/programs/northgate-im").json()
    h1b = detail["values"]["visa.h1b"]
    assert h1b["value"] == "conditional" and h1b["status"] == "auto"
    assert h1b["evidence"]["quote"].startswith("H-1B sponsorship is considered")
    assert h1b["evidence"]["url"].endswith("/visas.html") and h1b["evidence"]["fetched_at"]
    assert len(detail["residents"]) == 8
    assert {c["indicator"] for c in detail["history"]} >= {"visa.h1b", "roster.img_share"}
    assert client.get("/api/programs/nope").status_code == 404


def test_changes_and_runs(api):
    client, run_id = api
    changes = client.get("/api/changes", params={"since_run": run_id - 1}).json()
    assert changes and {c["run_id"] for c in changes} == {run_id}
    assert client.get("/api/changes", params={"since_run": run_id}).json() == []
    runs = client.get("/api/runs").json()
    assert runs[0]["id"] == run_id and runs[0]["status"] == "completed"
    assert client.get(f"/api/runs/{run_id}").json()["report"]["programs"] == DEMO_PROGRAM_COUNT
    assert client.get("/api/runs/999999").status_code == 404


def test_api_token_when_configured(demo_run):
    db, _, _ = demo_run
    with TestClient(create_app(db.url, api_token="s3cret", hide_names=True)) as client:
        assert client.get("/api/programs").status_code == 401
        assert (
            client.get("/api/programs", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        ok = client.get("/api/programs/mesa-psych", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert {r["name"] for r in ok.json()["residents"]} == {None}


def test_export_csv_and_jsonl(demo_run, tmp_path):
    db, _, _ = demo_run

    def export(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "crawler.cli", "--db", db.url, "export", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    rows = [
        json.loads(line)
        for line in export("--format", "jsonl", "--indicator", "visa.h1b").splitlines()
    ]
    assert {(r["program_id"], r["value"]) for r in rows} == {
        ("aurora-psych", "conditional"),
        ("bayou-im", "conditional"),
        ("coastal-fm", "no"),
        ("harbor-surgery", "no"),
        ("lakeshore-peds", "yes"),
        ("lumen-im", "no"),
        ("mesa-psych", "no"),
        ("northgate-im", "conditional"),
        ("prairie-im", "no"),
        ("riverside-fm", "no"),
        ("summit-em", "no"),
        ("tidewater-peds", "yes"),
    }
    assert all(r["quote"] and r["url"] for r in rows)
    out = tmp_path / "all.csv"
    export("--format", "csv", "--output", str(out))
    with out.open(newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0])[:7] == [
        "program_id",
        "program_name",
        "specialty",
        "state",
        "indicator",
        "value",
        "status",
    ]
    assert len(table) == len(export("--format", "jsonl").splitlines())
    faq = next(
        r for r in table if r["program_id"] == "harbor-surgery" and r["indicator"] == "visa.h1b"
    )
    assert json.loads(faq["value"]) == "no" and "\n" in faq["quote"]  # quoted, not split


def test_api_conforms_to_its_openapi_description(demo_run):
    """Property-based: generated requests for every operation get responses that match the
    OpenAPI description (status codes, content types, schemas), and never a server error."""
    db, _, _ = demo_run
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(db.url))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    for operation in operations:

        @given(operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case):
            case.call_and_validate()

        conforms()
