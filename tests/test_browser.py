"""The review UI in a real Chromium (Playwright driving Debian's /usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil

import live_server
import pytest
from test_review import item_id, reviewed_site  # noqa: F401 - reviewed_site is a fixture

from crawler.browser import CHROMIUM_ARGS
from crawler.cli import DEMO_PROGRAMS
from web.api import create_app
from web.auth import add_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is required in CI (apt-get install chromium)")
    pytest.skip("Chromium not installed", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def served(request, db):  # db: the backend parameter (SQLite, PostgreSQL)
    _, data_dir, _, _, _ = request.getfixturevalue("reviewed_site")
    base, server = live_server.start(
        create_app(db.url, data_dir=data_dir, secret_key="browser-test")
    )
    yield db, base
    server.should_exit = True


def test_sign_in_confirm_correct_and_see_both_in_the_program_page_and_api(browser, served):
    db, base = served
    page = browser.new_page()
    page.goto(f"{base}/review")
    assert page.url.endswith("/review/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery")
    page.click("text=Sign in")
    page.wait_for_url(f"{base}/review")
    page.click("a:text-is('visa.h1b')")
    assert page.inner_text("mark") == "We do not sponsor H-1B visas."
    page.click("button:text-is('Confirm')")
    page.goto(f"{base}/review")
    page.click("a:text-is('visa.j1')")
    page.fill("input[name=value]", "conditional")
    page.fill("input[name=note]", "only for the research track")
    page.click("button:text-is('Correct')")
    assert "only for the research track" in page.inner_text("main")
    page.click("text=Programs")
    page.click("text=Alpha IM")
    assert page.inner_text("tr[id='visa.h1b'] .status") == "confirmed"
    assert page.inner_text("tr[id='visa.j1'] .status") == "corrected"
    assert page.inner_text("tr[id='visa.j1'] .value") == '"conditional"'
    api = page.request.get(f"{base}/api/programs/alpha").json()["values"]
    assert (api["visa.h1b"]["status"], api["visa.j1"]["value"]) == ("confirmed", "conditional")


def test_crawled_script_payloads_stay_inert(browser, served):
    db, base = served
    add_user(db, "eve", "another long password")
    context = browser.new_context()
    page = context.new_page()
    dialogs, requests = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{base}/review/login")
    page.fill("input[name=username]", "eve")
    page.fill("input[name=password]", "another long password")
    page.click("text=Sign in")
    page.goto(f"{base}/review/items/{item_id(db, 'visa.h1b')}")
    assert "<script>alert(3)</script> is what they wrote." in page.inner_text(".context")
    page.click("text=archived page (sanitised)")
    page.wait_for_load_state("load")
    assert "We do not sponsor H-1B visas." in page.inner_text("body")
    assert page.evaluate("document.querySelectorAll('script, [onerror]').length") == 0
    assert page.title() != "owned"
    page.click("text=click")  # the javascript: link lost its target
    assert dialogs == []
    assert all(url.startswith(base) for url in requests)


@pytest.fixture
def demo_served(request, demo_run, demo_data_dir):
    """The demo database behind a real server, and a reviewer account (made once per backend)."""
    db, _, _ = demo_run
    from web.auth import AccountError

    try:
        add_user(db, "newcomer", "a long enough password")
    except AccountError:
        pass  # the other test on this backend made it
    base, server = live_server.start(
        create_app(db.url, data_dir=demo_data_dir, secret_key="browser-demo")
    )
    yield base
    server.should_exit = True


def _demo_program_names() -> dict[str, str]:
    import csv

    with DEMO_PROGRAMS.open(newline="") as handle:
        return {row["id"]: row["name"] for row in csv.DictReader(handle)}


def test_a_new_user_finds_every_demo_program_its_values_and_highlighted_evidence(
    browser, demo_served
):
    """Issue 6: from the programs index, each demo program, its values, and for a value the
    quote highlighted in its page; and a resident's roster line where the program has one."""
    base = demo_served
    page = browser.new_page()
    page.goto(f"{base}/review/programs")
    page.fill("input[name=username]", "newcomer")
    page.fill("input[name=password]", "a long enough password")
    page.click("text=Sign in")
    page.goto(f"{base}/review/programs")
    names = _demo_program_names()
    with_residents = 0
    listed = page.locator("main table a").all_inner_texts()
    assert sorted(listed) == sorted(names.values())
    for program_id, name in names.items():
        page.goto(f"{base}/review/programs")
        page.click(f"a:text-is({name!r})")
        page.wait_for_url(f"{base}/review/programs/{program_id}")
        values = page.locator("tr[id] td.value").count()
        assert values > 0, f"{program_id}: no values shown"
        links = page.locator("a.evidence-link")
        assert links.count() > 0, f"{program_id}: no value links to its evidence"
        row = links.first.locator("xpath=ancestor::tr")
        quote = (
            row.locator(".quote").inner_text().strip("“” ")
            if row.locator(".quote").count()
            else None
        )
        links.first.click()
        page.wait_for_url(f"{base}/review/items/*")
        marked = page.locator(".context mark")
        assert marked.count() == 1, f"{program_id}: the evidence is not highlighted"
        if quote is not None:
            assert " ".join(marked.inner_text().split()) == " ".join(quote.split())
        assert page.locator("#quote-note").count() == 0  # offsets and text agree
        page.go_back()
        in_context = page.locator("tr.resident a:text-is('in context')")
        if page.locator("tr.resident").count():
            assert in_context.count() > 0, f"{program_id}: residents without their roster line"
            with_residents += 1
            line = in_context.first.locator("xpath=ancestor::tr")
            school_type = line.locator("td.school-type").inner_text()
            assert school_type.split()[0] in (
                "US_MD",
                "US_DO",
                "CA_MD",
                "IMG_CARIBBEAN",
                "IMG_OTHER",
                "UNKNOWN",
            )
            in_context.first.click()
            page.wait_for_url(f"{base}/review/residents/*")
            assert page.locator(".context mark").count() == 1
    assert with_residents >= len(names) // 2  # most demo sites have a roster
