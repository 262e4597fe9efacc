"""The review UI: sign-in, CSRF, queue, decisions that survive cycles, untrusted content inert."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from db import queries
from db.models import ProgramIndicator, Review
from normalizers.vocabulary import VocabularyError, parse_value
from web.api import create_app
from web.auth import AccountError, add_user, hash_password, verify_password

from test_crawl import register
from test_cycles import write_site

HOSTILE = (
    "<title>Visa</title><p>We do not sponsor H-1B visas.</p>"
    '<script>document.title="owned"</script>'
    '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">click</a>'
    "<p>&lt;script&gt;alert(3)&lt;/script&gt; is what they wrote.</p>"
)


@pytest.fixture
def reviewed_site(db, tmp_path):
    """A crawled program whose visa page carries script payloads, and a signed-in client."""
    site = write_site(
        tmp_path / "sites",
        {
            "index.html": '<title>Home</title><a href="/visa.html">Visa</a>'
            "<p>We sponsor J-1 visas through ECFMG.</p>",
            "visa.html": HOSTILE,
        },
    )
    data_dir = tmp_path / "data"
    server = DemoServer(site).start()
    register(db, server)
    options = CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts()))
    run_cycle(db, data_dir, options)
    add_user(db, "alice", "correct horse battery")
    client = TestClient(create_app(db.url, data_dir=data_dir, secret_key="test-secret"))
    yield db, data_dir, server, client, options
    server.stop()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in(client: TestClient) -> None:
    token = csrf_of(client.get("/review/login").text)
    response = client.post(
        "/review/login",
        data={"username": "alice", "password": "correct horse battery", "csrf": token},
    )
    assert response.status_code == 200 and "Review queue" in response.text


def item_id(db, indicator: str) -> int:
    with db.session() as session:
        return session.scalar(
            select(ProgramIndicator.id).where(
                ProgramIndicator.program_id == "alpha", ProgramIndicator.indicator == indicator
            )
        )


def test_passwords_are_salted_scrypt_and_accounts_unique(db):
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$") and stored != hash_password("correct horse battery")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("wrong", stored)
    add_user(db, "bob", "long enough password")
    with pytest.raises(AccountError, match="already exists"):
        add_user(db, "bob", "another long password")
    with pytest.raises(AccountError, match="at least 10"):
        add_user(db, "carol", "short")


def test_everything_needs_a_reviewer_and_forms_need_the_csrf_token(reviewed_site):
    db, _, _, client, _ = reviewed_site
    assert client.get("/review", follow_redirects=False).headers["location"] == "/review/login"
    target = item_id(db, "visa.h1b")
    assert client.post(f"/review/items/{target}", data={"action": "confirm"}).status_code == 401
    bad = client.post(
        "/review/login",
        data={
            "username": "alice",
            "password": "nope",
            "csrf": csrf_of(client.get("/review/login").text),
        },
    )
    assert bad.status_code == 401
    assert (
        client.post(
            "/review/login", data={"username": "alice", "password": "correct horse battery"}
        ).status_code
        == 403
    )
    sign_in(client)
    assert (
        client.post(
            f"/review/items/{target}", data={"action": "confirm", "csrf": "forged"}
        ).status_code
        == 403
    )


def test_confirm_and_correct_are_logged_applied_and_survive_the_next_cycle(reviewed_site):
    db, data_dir, _, client, options = reviewed_site
    sign_in(client)
    queue = client.get("/review").text
    assert "visa.h1b" in queue and "visa.j1" in queue
    h1b, j1 = item_id(db, "visa.h1b"), item_id(db, "visa.j1")
    page = client.get(f"/review/items/{h1b}").text
    assert "<mark>We do not sponsor H-1B visas.</mark>" in page
    token = csrf_of(page)
    client.post(
        f"/review/items/{h1b}", data={"action": "confirm", "note": "checked", "csrf": token}
    )
    rejected = client.post(
        f"/review/items/{j1}", data={"action": "correct", "value": "maybe", "csrf": token}
    )
    assert (
        rejected.status_code == 422
        and "visa.j1 must be one of yes, no, conditional" in rejected.text
    )
    client.post(
        f"/review/items/{j1}",
        data={
            "action": "correct",
            "value": "conditional",
            "note": "J-1 only for some tracks",
            "csrf": token,
        },
    )
    run_cycle(db, data_dir, options)  # a later cycle reads the same pages again
    with db.session() as session:
        values = queries.program_values(session, "alpha")["values"]
        decisions = session.scalars(select(Review).order_by(Review.id)).all()
    assert (values["visa.h1b"]["status"], values["visa.h1b"]["value"]) == ("confirmed", "no")
    assert (values["visa.j1"]["status"], values["visa.j1"]["value"]) == ("corrected", "conditional")
    assert [(d.reviewer, d.action, d.corrected_value, d.note) for d in decisions] == [
        ("alice", "confirm", None, "checked"),
        ("alice", "correct", "conditional", "J-1 only for some tracks"),
    ]
    api = client.get("/api/programs/alpha").json()["values"]
    assert api["visa.j1"]["value"] == "conditional" and api["visa.h1b"]["status"] == "confirmed"


def test_a_confirmed_value_whose_evidence_changed_comes_back_for_review(reviewed_site, tmp_path):
    db, data_dir, server, client, options = reviewed_site
    sign_in(client)
    target = item_id(db, "visa.h1b")
    client.post(
        f"/review/items/{target}",
        data={"action": "confirm", "csrf": csrf_of(client.get("/review").text)},
    )
    write_site(
        server.sites_dir,
        {"visa.html": "<title>Visa</title><p>H-1B visas are not sponsored by our hospital.</p>"},
    )
    run_cycle(db, data_dir, options)
    with db.session() as session:
        row = session.get(ProgramIndicator, target)
        assert row.status == "stale_review"
    assert client.get("/review").text.index("visa.h1b") < client.get("/review").text.index(
        "visa.j1"
    )


def test_crawled_payloads_are_shown_inert(reviewed_site):
    db, _, _, client, _ = reviewed_site
    sign_in(client)
    item = client.get(f"/review/items/{item_id(db, 'visa.h1b')}")
    assert "script-src" not in item.headers["content-security-policy"]  # no script allowed at all
    assert "default-src 'none'" in item.headers["content-security-policy"]
    assert "<script>alert(3)" not in item.text and "&lt;script&gt;alert(3)" in item.text
    capture = re.search(r'href="/review/captures/(\d+)"', item.text).group(1)
    archived = client.get(f"/review/captures/{capture}")
    assert archived.status_code == 200
    assert "sandbox" in archived.headers["content-security-policy"]
    body = archived.text.lower()
    assert "<script" not in body and "onerror" not in body and "javascript:" not in body
    assert "we do not sponsor h-1b visas." in body


def test_corrections_are_checked_against_the_vocabulary():
    assert parse_value("visa.h1b", "no") == "no"
    assert parse_value("visa.h1b_conditions", '["step3_required"]') == ["step3_required"]
    assert parse_value("elig.step2ck_min", "225") == 225
    assert parse_value("mentorship.formal", "false") is False
    for indicator, text in (
        ("visa.h1b", "perhaps"),
        ("elig.step2ck_min", "1000"),
        ("mentorship.formal", "yes"),
        ("roster.resident_count", "3"),
        ("visa.h1b_conditions", '["bribes"]'),
    ):
        with pytest.raises(VocabularyError):
            parse_value(indicator, text)
