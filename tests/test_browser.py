"""The review UI in a real Chromium (Playwright driving Debian's /usr/bin/chromium)."""

from __future__ import annotations

import os
import shutil

import live_server
import pytest
from test_review import item_id, reviewed_site  # noqa: F401 - reviewed_site is a fixture

from web.api import create_app
from web.auth import add_user

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

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
