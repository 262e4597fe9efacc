"""What a page rendered in Chromium may reach: no private addresses (by name or by IP, directly
or through a redirect), no other program's allowed hosts, and no page of another site."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.browser import browser_available, executable
from crawler.capture_store import CaptureStore
from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.programs_io import ProgramRecord, import_programs
from db import queries
from db.models import Capture, CrawlRun, Page

if not browser_available():
    if os.environ.get("CI"):
        raise RuntimeError(f"Chromium is required in CI (no browser at {executable()})")
    pytest.skip("Chromium not installed", allow_module_level=True)

SECRET = "INTERNAL-SECRET-42"

# Alpha's home page reaches for the internal service four ways, for beta's data (a demo host:
# allowed to be private, but not one of alpha's domains), and for its own data.
HOME = """<title>Alpha IM</title>
<p>Alpha trains residents in internal medicine in a community hospital setting.</p>
<ul id="got"></ul>
<script>
for (const url of ['http://localhost:{port}/from-fetch-name', 'http://127.0.0.1:{port}/from-fetch-ip',
                   '{{{{site:beta}}}}/data.json', '/own.json']) {{
  fetch(url).then((r) => r.text()).then((text) => {{
    const item = document.createElement('li');
    item.textContent = url + ' ' + text;
    document.getElementById('got').append(item);
  }}).catch(() => {{}});
}}
</script>
<iframe src="http://localhost:{port}/iframe-name"></iframe>
<iframe src="http://127.0.0.1:{port}/iframe-ip"></iframe>
<a href="/visa.html">Visa</a> <a href="/eligibility.html">Eligibility</a>
<a href="/moved.html">Residents</a>
"""
REDIRECTS = """/visa.html http://localhost:{port}/secret.html 302
/eligibility.html http://127.0.0.1:{port}/secret.html 302
/moved.html {{{{site:beta}}}}/residents.html 302
"""


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    root = tmp_path / "sites"
    for site, pages in {
        "alpha": {"own.json": '"alpha data"', "hidden.html": "<p>Only linked from beta.</p>"},
        "beta": {
            "data.json": '"beta data"',
            "residents.html": "<title>Residents</title><h1>Current Residents</h1><h2>PGY-1</h2>"
            "<ul><li>Ben Ode, MD - Harvard Medical School</li></ul>"
            '<a href="{{site:alpha}}/hidden.html">Alpha</a>',
        },
    }.items():
        (root / site / "site").mkdir(parents=True)
        for name, text in pages.items():
            (root / site / "site" / name).write_text(text)
    internal = tmp_path / "internal" / "intranet" / "site"
    internal.mkdir(parents=True)
    for name in ("from-fetch-name", "from-fetch-ip", "iframe-name", "iframe-ip", "secret.html"):
        (internal / name).write_text(SECRET)
    return tmp_path


def test_a_rendered_page_reaches_no_private_address_and_no_other_programs_host(db, sites):
    # The internal service listens on 127.0.0.1: the name localhost resolves to it.
    with (
        DemoServer(sites / "internal", first_address=1) as internal,
        DemoServer(sites / "sites") as server,
    ):
        alpha = sites / "sites" / "alpha" / "site"
        (alpha / "index.html").write_text(HOME.format(port=internal.port))
        (alpha / "_redirects").write_text(REDIRECTS.format(port=internal.port))
        import_programs(
            db,
            [
                ProgramRecord(
                    id="alpha",
                    name="Alpha IM",
                    website=server.url("alpha") + "/",
                    allowed_domains=[server.sites["alpha"].host],
                    render_mode="browser",
                )
            ],
        )
        run_id = run_cycle(
            db,
            sites / "data",
            CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(server.hosts())),
        )
        beta_requests = [path for site, _, path in server.requests if site == "beta"]
        base, beta = server.url("alpha"), server.url("beta")
    assert internal.requests == []
    assert "/data.json" not in beta_requests  # another program's host, though allowed
    with db.session() as session:
        captures = {
            url: capture
            for url, capture in session.execute(select(Page.url, Capture).join(Capture.page))
        }
        report = queries.run_summary(session, run_id)["report"]
        stats = session.get(CrawlRun, run_id).stats["scrapy"]
        values = queries.program_values(session, "alpha")["values"]
    home = CaptureStore(sites / "data").get(captures[f"{base}/"].body_sha256).decode()
    assert captures[f"{base}/"].rendered and '/own.json "alpha data"' in home  # its own data
    assert SECRET not in home and "beta data" not in home
    # Navigations into the internal service, by name and by IP, fail as refused.
    assert captures[f"{base}/visa.html"].error == (
        "blocked_private_address: localhost resolves to 127.0.0.1"
    )
    assert captures[f"{base}/eligibility.html"].error == (
        "blocked_private_address: 127.0.0.1 is a private address"
    )
    # A redirect to another site is no page of alpha's, and nothing is followed from it.
    assert captures[f"{base}/moved.html"].error == f"offsite_redirect: {beta}/residents.html"
    assert sorted(captures) == sorted(
        f"{base}{path}" for path in ("/", "/visa.html", "/eligibility.html", "/moved.html")
    )
    assert "roster.resident_count" not in values
    assert report["failed_by_reason"] == {"blocked_private_address": 2, "offsite_redirect": 1}
    # Refused requests: four reaching for the internal service, beta's data, two navigations.
    assert report["blocked_private_address"] == stats["safety/blocked/browser"] == 7
    assert stats["safety/browser_connections_refused"] >= 6
