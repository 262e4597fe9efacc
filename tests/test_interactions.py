"""Interactions on rendered pages: when a page calls for them, what they keep, their bounds,
and a program's own browser_actions replacing the generic ones."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from crawler.browser import (
    CHROMIUM_ARGS,
    BrowserConfig,
    browser_available,
    executable,
    needs_browser,
)
from crawler.cli import DEMO_PROGRAMS
from crawler.demo_server import DEFAULT_SITES_DIR
from crawler.interactions import Limits, interact, parse_actions, static_selectors
from crawler.items import CaptureItem
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.programs_io import import_programs, parse_program_list
from db import queries
from db.models import CrawlRun
from db.session import Database
from spiders.program_spider import ProgramSpider, canonical

needs_chromium = pytest.mark.skipif(not browser_available(), reason="Chromium not installed")
FILLER = "<p>" + "Our residents train in three hospitals across the city. " * 8 + "</p>"


def page(body: str, scripts: bool = True) -> HtmlResponse:
    script = "<script src='/app.js'></script>" if scripts else ""
    html = f"<html><body>{FILLER}{body}{script}</body></html>"
    return HtmlResponse(url="http://example.org/residents", body=html.encode(), encoding="utf-8")


@pytest.mark.parametrize(
    "body, reason",
    [
        # One panel that a script refills per tab.
        (
            "<div role=tablist><button role=tab aria-controls=p>PGY-1</button>"
            "<button role=tab aria-controls=p>PGY-2</button></div><div id=p role=tabpanel>"
            "<p>Ana Ruiz, MD</p></div>",
            "tabbed_content",
        ),
        # Panels left empty until their tab is clicked.
        (
            "<button role=tab aria-controls=a>PGY-1</button><button role=tab aria-controls=b>"
            "PGY-2</button><div id=a><p>Ana</p></div><div id=b></div>",
            "tabbed_content",
        ),
        (
            "<table><tr><td>Ana</td></tr></table><button>Load more residents</button>",
            "load_more_control",
        ),
        ("<a href='#' class=more>Show all</a>", "load_more_control"),
        # Every panel is in the HTML already: nothing to render.
        (
            "<button role=tab aria-controls=a>PGY-1</button><button role=tab aria-controls=b>"
            "PGY-2</button><div id=a><p>Ana</p></div><div id=b hidden><p>Ben</p></div>",
            None,
        ),
        # A link to the full list is a page of its own, crawled as such.
        ("<a href='/residents/all'>View all residents</a>", None),
    ],
)
def test_pages_whose_content_waits_for_a_click_are_rendered(body, reason):
    assert needs_browser(page(body), "roster") == reason
    assert needs_browser(page(body, scripts=False), "roster") is None


def test_a_programs_own_actions_render_the_pages_they_can_act_on():
    xpaths = static_selectors(parse_actions("click .year-tabs li; wait 200"))
    body = "<ul class=year-tabs><li>PGY-1</li><li>PGY-2</li></ul><p>Ana Ruiz, MD</p>"
    assert needs_browser(page(body), "roster") is None
    assert needs_browser(page(body), "roster", xpaths) == "browser_actions"


def test_no_static_demo_page_would_be_rendered_in_auto_mode():
    rows = list(csv.DictReader(io.StringIO(DEMO_PROGRAMS.read_text())))
    static = [row["id"] for row in rows if row["render_mode"] == "static"]
    assert static
    for site in static:
        for file in (DEFAULT_SITES_DIR / site / "site").rglob("*.htm*"):
            response = HtmlResponse(url=f"http://x/{file.name}", body=file.read_bytes())
            for expected in (None, "roster", "visa"):
                assert needs_browser(response, expected) is None, (site, file.name)


def test_client_side_routes_are_pages_of_their_own_anchors_are_not():
    assert canonical("http://a.org/#/residents") == "http://a.org/#/residents"
    assert canonical("http://a.org/#!/visa") == "http://a.org/#!/visa"
    assert canonical("http://a.org/faq.html#visas") == "http://a.org/faq.html"
    assert canonical("http://a.org/#/") == "http://a.org/"


def _spider() -> ProgramSpider:
    crawler = get_crawler(
        ProgramSpider,
        settings_dict={
            "IMGCRAWL_BROWSER_MAX_PAGES": 4,
            "IMGCRAWL_BROWSER_NAVIGATION_TIMEOUT": 20,
            "IMGCRAWL_BROWSER_ACTION_TIMEOUT": 5,
            "IMGCRAWL_BROWSER_INTERACTION_BUDGET": 30,
            "IMGCRAWL_BROWSER_MAX_CLICKS": 20,
            "IMGCRAWL_BROWSER_MAX_TABS": 12,
            "IMGCRAWL_BROWSER_CRASH_RETRIES": 2,
        },
    )
    spider = ProgramSpider()
    spider.crawler = crawler
    spider.browser = True
    spider.browser_config = BrowserConfig.from_settings(crawler.settings)
    spider.actions = {"p": None}
    crawler.stats.open_spider()
    return spider


def test_a_page_whose_browser_died_is_retried_then_recorded_as_crashed():
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    spider = _spider()
    request = Request(
        "http://a.org/#/residents",
        meta={
            "program_id": "p",
            "page_depth": 1,
            "playwright": True,
            "render_reason": "hash_route",
        },
    )
    outputs = []
    for _attempt in range(3):
        failure = Failure(PlaywrightError("Target page, context or browser has been closed"))
        failure.request = request
        (output,) = list(spider.record_failure(failure))
        outputs.append(output)
        request = output if isinstance(output, Request) else request
    assert [type(o) for o in outputs] == [Request, Request, CaptureItem]
    assert [r.meta["browser_attempt"] for r in outputs[:2]] == [1, 2]
    assert outputs[0].meta["playwright_page_methods"]  # the interactions come along
    assert outputs[2].error == "browser_crashed"
    assert spider.crawler.stats.get_value("imgcrawl/browser/crash_retries") == 2
    timeout = Failure(PlaywrightTimeoutError("Timeout 20000ms exceeded"))
    timeout.request = request
    assert next(spider.record_failure(timeout)).error == "browser_timeout"


# Pages the interactions meet in the wild, written inline (no server needed).
ENDLESS = """<ul id=list></ul><button id=more>Show more</button>
<script>document.getElementById('more').onclick = () => setTimeout(() => {
  const item = document.createElement('li');
  item.textContent = 'one more';
  document.getElementById('list').append(item);
}, 30);</script>"""
STUCK = """<p>Nothing here</p><button onclick="void 0">Load more</button>"""
HIDDEN_PANELS = """<div role=tablist>
<button role=tab aria-controls=a onclick="show('a')">PGY-1</button>
<button role=tab aria-controls=b onclick="show('b')">PGY-2 &lt;img src=x onerror=window.pwned=1&gt;</button>
<a role=tab href="/alumni.html">Alumni</a></div>
<div id=a role=tabpanel><p>Ana Ruiz, MD</p></div>
<div id=b role=tabpanel hidden><p>Ben Okoro, MD</p></div>
<script>function show(id) { for (const p of document.querySelectorAll('[role=tabpanel]'))
  p.hidden = p.id !== id; }</script>"""


async def _interact(html: str, actions: list, limits: Limits) -> tuple[dict, str, object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable(), args=CHROMIUM_ARGS)
        try:
            tab = await browser.new_page()
            await tab.set_content(f"<html><body>{html}</body></html>")
            counts = await interact(tab, actions, limits)
            return counts, await tab.content(), await tab.evaluate("window.pwned || null")
        finally:
            await browser.close()


@needs_chromium
def test_load_more_stops_at_the_cap_or_when_a_click_changes_nothing():
    limits = Limits(max_clicks=4, action_timeout_ms=2000, budget_s=20)
    counts, html, _ = asyncio.run(_interact(ENDLESS, [{"action": "generic"}], limits))
    assert counts["load_more"] == 4 and html.count("<li>one more</li>") == 4
    counts, _, _ = asyncio.run(_interact(STUCK, [{"action": "generic"}], limits))
    assert counts["load_more"] == 1


@needs_chromium
def test_every_tab_panel_is_kept_once_under_its_label_and_labels_stay_text():
    limits = Limits(action_timeout_ms=2000, budget_s=20)
    counts, html, pwned = asyncio.run(_interact(HIDDEN_PANELS, [{"action": "generic"}], limits))
    assert counts["tabs"] == 2  # the tab that links to another page is left to the crawler
    assert html.count("Ana Ruiz") == 1 and html.count("Ben Okoro") == 1
    assert "<h3>PGY-1</h3>" in html and "<h3>PGY-2 &lt;img" in html
    assert html.index("<h3>PGY-2") < html.index("Ben Okoro")
    assert pwned is None  # markup in a label is kept as text, never parsed by our scripts


@needs_chromium
def test_a_programs_browser_actions_replace_the_generic_ones(tmp_path: Path, demo_server):
    rows = list(csv.DictReader(io.StringIO(DEMO_PROGRAMS.read_text())))
    actions = {"prairie-im": "tabs .year-tabs button => #roster-panel", "tidewater-peds": "none"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*rows[0], "browser_actions"])
    writer.writeheader()
    writer.writerows({**r, "browser_actions": actions[r["id"]]} for r in rows if r["id"] in actions)
    listing = tmp_path / "programs.csv"
    listing.write_text(demo_server.substitute(out.getvalue()))
    db = Database(f"sqlite:///{tmp_path / 'actions.sqlite3'}")
    import_programs(db, parse_program_list(listing))
    run_id = run_cycle(
        db,
        tmp_path,
        CrawlOptions(download_delay=0.05, allow_private_hosts=tuple(demo_server.hosts())),
    )
    with db.session() as session:
        report = session.get(CrawlRun, run_id).stats["report"]
        prairie = queries.program_values(session, "prairie-im")["values"]
        tidewater = queries.program_values(session, "tidewater-peds")["values"]
    reasons = sorted(p["reason"] for p in report["rendered_pages"])
    assert reasons == ["browser_actions", "load_more_control"]
    assert prairie["roster.resident_count"]["value"] == 10  # every tab, by its own selector
    assert tidewater["roster.resident_count"]["value"] == 4  # rendered, but "none": no clicks
    db.dispose()
