"""The crawl stage against a small local site: politeness, failures, safety, re-crawls."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from crawler.capture_store import CaptureStore
from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlError, CrawlOptions, run_cycle
from crawler.programs_io import ProgramRecord, import_programs
from crawler.safe_resolver import is_private
from db import queries
from db.models import Capture, CrawlRun, Page, Program

PAGES = {
    "index.html": '<title>Alpha IM</title><nav><a href="/residents/">Our Residents</a> '
    '<a href="/visa.html">Visa</a> <a href="/gone.html">Old page</a> '
    '<a href="/old-visa.html">Visa (old link)</a> '
    '<a href="/internal/draft.html">Draft policy</a> '
    '<a href="http://127.0.0.1:9/admin">Router</a></nav>'
    "<p>We welcome applications from international medical graduates.</p>",
    "visa.html": "<title>Visa</title><p>We sponsor J-1 visas through ECFMG. "
    "We do not sponsor H-1B visas.</p>",
    "residents/index.html": "<title>Our Residents</title><h1>Current Residents</h1><h2>PGY-1</h2>"
    "<ul><li>Ana Ruiz, MD - Harvard Medical School</li></ul>",
    "internal/draft.html": "<p>We sponsor H-1B visas.</p>",
    "robots.txt": "User-agent: *\nDisallow: /internal/\nCrawl-delay: 0.5\n",
    "_redirects": "/old-visa.html /visa.html 301\n",
    # The visa page answers 503 once: a retry must still capture it.
    "_faults": "/visa.html 503 1\n",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "sites" / "alpha" / "site"
    for name, text in PAGES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return tmp_path / "sites"


def crawl(db, data_dir: Path, server: DemoServer, **options) -> int:
    options.setdefault("allow_private_hosts", tuple(server.hosts()))
    return run_cycle(db, data_dir, CrawlOptions(download_delay=0.05, **options))


def register(db, server: DemoServer) -> None:
    import_programs(
        db,
        [
            ProgramRecord(
                id="alpha",
                name="Alpha IM",
                website=server.url("alpha") + "/",
                allowed_domains=[server.sites["alpha"].host],
            )
        ],
    )


def test_crawl_captures_follows_redirects_and_records_failures(db, site, tmp_path):
    with DemoServer(site) as server:
        register(db, server)
        run_id = crawl(db, tmp_path / "data", server)
        fetched = {path for _, _, path in server.requests}
    assert "/internal/draft.html" not in fetched  # robots.txt obeyed
    assert "/robots.txt" in fetched
    with db.session() as session:
        summary = queries.run_summary(session, run_id)
        values = queries.program_values(session, "alpha")["values"]
        captures = session.scalars(select(Capture)).all()
    report = summary["report"]
    assert summary["status"] == "completed"
    assert report["failed_by_reason"] == {"http_404": 1}
    assert report["robots_skipped"] == 1
    assert report["pages_fetched"] == 3
    gone = next(c for c in captures if c.error)
    assert gone.http_status == 404 and gone.body_sha256 is None
    assert values["visa.h1b"]["value"] == "no"  # the disallowed draft was never read
    assert values["visa.h1b"]["evidence"]["quote"] == "We do not sponsor H-1B visas."
    assert values["roster.resident_count"]["value"] == 1
    assert (
        report["programs_without_roster"] == [] and report["programs_without_visa_statement"] == []
    )


def test_politeness_identity_retries_and_budget(db, site, tmp_path):
    with DemoServer(site) as server:
        register(db, server)
        run_id = crawl(db, tmp_path / "data", server, contact_url="https://ops.example.org/bot")
        agents = set(server.user_agents)
        budget_run = crawl(db, tmp_path / "data", server, page_budget=2)
    assert agents == {"imgcrawl/0.1 (+https://ops.example.org/bot)"}
    with db.session() as session:
        run = session.get(CrawlRun, run_id)
        scrapy_stats = run.stats["scrapy"]
        budget_report = queries.run_summary(session, budget_run)["report"]
    host = server.sites["alpha"].host
    assert scrapy_stats[f"robotstxt/crawl_delay/{host}"] == 0.5  # Crawl-delay applied to the slot
    assert scrapy_stats["retry/count"] == 1
    assert run.stats["report"]["failed_by_reason"] == {"http_404": 1}  # the 503 was retried
    assert budget_report["pages_fetched"] + budget_report["pages_failed"] == 2


@pytest.mark.parametrize("conditional", [True, False], ids=["etag", "same-body"])
def test_second_crawl_adds_a_run_without_duplicating_programs_pages_or_bodies(
    db, site, tmp_path, conditional
):
    data_dir = tmp_path / "data"
    with DemoServer(site, conditional=conditional) as server:
        register(db, server)
        first = crawl(db, data_dir, server)
        with db.session() as session:
            pages_before = session.scalar(select(func.count()).select_from(Page))
            values_before = queries.program_values(session, "alpha")["values"]
        blobs_before = CaptureStore(data_dir).count()
        second = crawl(db, data_dir, server)
    with db.session() as session:
        assert second == first + 1
        assert session.scalar(select(func.count()).select_from(CrawlRun)) == 2
        assert session.scalar(select(func.count()).select_from(Program)) == 1
        assert session.scalar(select(func.count()).select_from(Page)) == pages_before
        captures = session.scalars(
            select(Capture).where(Capture.run_id == second, Capture.error.is_(None))
        ).all()
        assert len(captures) == 3 and all(c.unchanged for c in captures)
        if conditional:  # answered 304: nothing downloaded, nothing stored
            assert {(c.http_status, c.body_sha256) for c in captures} == {(304, None)}
        else:  # downloaded again, recognised by its hash
            assert {c.http_status for c in captures} == {200}
        report = queries.run_summary(session, second)["report"]
        assert report["pages_unchanged"] == 3
        assert queries.program_values(session, "alpha")["values"] == values_before
    assert CaptureStore(data_dir).count() == blobs_before


def test_private_addresses_are_refused_unless_allowed(db, site, tmp_path):
    with DemoServer(site) as server:
        register(db, server)
        run_id = crawl(db, tmp_path / "data", server, allow_private_hosts=())
        assert server.requests == []  # not even robots.txt was fetched
    with db.session() as session:
        report = queries.run_summary(session, run_id)["report"]
    assert report["failed_by_reason"] == {"blocked_private_address": 1}
    assert report["pages_fetched"] == 0


@pytest.mark.parametrize(
    "allowed, reason",
    [
        ((), "blocked_private_address: localhost resolves to 127.0.0.1"),
        (("localhost",), "connection_refused"),  # allowed: resolved and tried (nothing listens)
    ],
)
def test_host_names_resolving_to_private_addresses_are_refused_where_they_resolve(
    db, tmp_path, allowed, reason
):
    import_programs(
        db,
        [
            ProgramRecord(
                id="sneaky",
                name="Sneaky",
                website="http://localhost:9/",
                allowed_domains=["localhost"],
            )
        ],
    )
    run_id = run_cycle(
        db,
        tmp_path / "data",
        CrawlOptions(
            download_delay=0,
            allow_private_hosts=allowed,
            extra_settings={"RETRY_ENABLED": False, "ROBOTSTXT_OBEY": False},
        ),
    )
    with db.session() as session:
        captures = session.scalars(select(Capture)).all()
        report = queries.run_summary(session, run_id)["report"]
    assert [c.error for c in captures] == [reason]
    assert report["blocked_private_address"] == (0 if allowed else 1)


@pytest.mark.parametrize(
    "address, private",
    [
        ("::ffff:127.0.0.1", True),  # IPv4-mapped loopback
        ("64:ff9b::a00:1", True),  # NAT64 of 10.0.0.1
        ("2002:a9fe:a9fe::", True),  # 6to4 of 169.254.169.254, the cloud metadata address
        ("::ffff:8.8.8.8", False),
        ("2606:4700::1111", False),
    ],
)
def test_ipv6_forms_of_private_ipv4_addresses_are_private(address, private):
    assert is_private(address) is private


def test_unknown_program_is_a_clear_error(db, tmp_path):
    with pytest.raises(CrawlError, match="unknown program id"):
        run_cycle(db, tmp_path, CrawlOptions(program_ids=["nope"]))


MENU = (
    ("/about.html", "About"),
    ("/curriculum.html", "Curriculum"),
    ("/benefits.html", "Benefits"),
    ("/people/", "People"),
    ("/faculty.html", "Faculty"),
    ("/news.html", "News"),
    ("/events.html", "Events"),
    ("/contact.html", "Contact"),
    ("/apply/", "Apply"),
    ("/visa.html", "Visa"),
    ("/wellness.html", "Wellness"),
    ("/alumni.html", "Alumni"),
)


@pytest.fixture
def menu_site(tmp_path: Path) -> Path:
    """14 pages, the same 12-link menu on every one, the roster two clicks deep (via People)."""
    root = tmp_path / "sites" / "alpha" / "site"
    menu = "<nav>" + " ".join(f'<a href="{href}">{text}</a>' for href, text in MENU) + "</nav>"
    pages = {"index.html": "<title>Alpha IM</title>"}
    for href, text in MENU:
        name = href.strip("/") + ("/index.html" if href.endswith("/") else "")
        pages[name] = f"<title>{text}</title><p>{text} of the Alpha program.</p>"
    pages["people/index.html"] += '<a href="/people/residents.html">Meet our residents</a>'
    pages["people/residents.html"] = (
        "<title>Our Residents</title><h1>Current Residents</h1><h2>PGY-1</h2>"
        "<ul><li>Ana Ruiz, MD - Harvard Medical School</li></ul>"
    )
    for name, text in pages.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(menu + text)
    return tmp_path / "sites"


def test_the_budget_counts_distinct_pages_requested_not_links_seen(db, menu_site, tmp_path):
    with DemoServer(menu_site) as server:
        register(db, server)
        run_id = crawl(db, tmp_path / "data", server, page_budget=20)
        fetched = [path for _, _, path in server.requests if path != "/robots.txt"]
    with db.session() as session:
        report = queries.run_summary(session, run_id)["report"]
        values = queries.program_values(session, "alpha")["values"]
        stats = session.get(CrawlRun, run_id).stats["scrapy"]
    assert "/people/residents.html" in fetched  # two clicks deep, behind 13 repeated menus
    assert sorted(fetched) == sorted(set(fetched)) and len(fetched) == 14
    assert report["pages_fetched"] == 14
    assert values["roster.resident_count"]["value"] == 1
    assert "imgcrawl/budget/dropped" not in stats and report["pages_over_budget"] == {}


def test_what_the_budget_drops_is_counted_once_per_page(db, menu_site, tmp_path):
    with DemoServer(menu_site) as server:
        register(db, server)
        run_id = crawl(db, tmp_path / "data", server, page_budget=5)
        fetched = {path for _, _, path in server.requests if path != "/robots.txt"}
    with db.session() as session:
        stats = session.get(CrawlRun, run_id).stats["scrapy"]
        report = queries.run_summary(session, run_id)["report"]
    assert len(fetched) == 5  # the home page and the four best-scored menu links
    # Every other menu page once, however many fetched pages link to it, and the roster if
    # its People page was among the five.
    dropped = len(MENU) - 4 + ("/people/" in fetched)
    assert stats["imgcrawl/budget/dropped"] == stats["imgcrawl/budget/dropped/alpha"] == dropped
    assert stats["imgcrawl/budget/exhausted"] == 1
    assert len(stats["imgcrawl/budget/dropped_urls/alpha"]) == dropped
    assert report["pages_over_budget"] == {"alpha": dropped}


def test_a_redirect_off_the_programs_domains_is_a_failed_capture_not_its_page(db, tmp_path):
    sites = tmp_path / "sites"
    for site, pages in {
        "alpha": {
            "index.html": '<title>Alpha IM</title><a href="/visa.html">Visa</a>'
            '<a href="/policies.html">Policies</a>',
            "policies.html": "<title>Policies</title><p>We sponsor J-1 visas.</p>",
        },
        "beta": {
            "visa.html": '<title>Visa</title><p>We sponsor H-1B visas.</p><a href="/more.html">'
            'More</a><a href="{{site:alpha}}/hidden.html">Alpha hidden</a>',
            "more.html": "<p>Beta more.</p>",
        },
    }.items():
        (sites / site / "site").mkdir(parents=True)
        for name, text in pages.items():
            (sites / site / "site" / name).write_text(text)
    (sites / "alpha" / "site" / "_redirects").write_text("/visa.html {{site:beta}}/visa.html 302\n")
    with DemoServer(sites) as server:
        register(db, server)
        run_id = crawl(db, tmp_path / "data", server)
        beta_requests = [path for site, _, path in server.requests if site == "beta"]
        alpha = server.url("alpha")
        target = server.url("beta") + "/visa.html"
    with db.session() as session:
        pages = session.scalars(select(Page.url).where(Page.program_id == "alpha")).all()
        visa = session.scalars(
            select(Capture).join(Page).where(Page.url == f"{alpha}/visa.html")
        ).one()
        report = queries.run_summary(session, run_id)["report"]
        values = queries.program_values(session, "alpha")["values"]
        stats = session.get(CrawlRun, run_id).stats["scrapy"]
    assert beta_requests == []  # not even beta's robots.txt
    assert sorted(pages) == [f"{alpha}/", f"{alpha}/policies.html", f"{alpha}/visa.html"]
    assert (visa.error, visa.http_status) == (f"offsite_redirect: {target}", 302)
    assert report["failed_by_reason"] == {"offsite_redirect": 1}
    assert stats["offsite/redirects_refused"] == 1
    assert "visa.h1b" not in values  # beta's statement is not alpha's
    assert values["visa.j1"]["value"] == "yes"


def test_a_redirect_into_a_private_address_fails_the_page_that_was_linked(db, site, tmp_path):
    internal_sites = tmp_path / "internal"
    (internal_sites / "intranet" / "site").mkdir(parents=True)
    (internal_sites / "intranet" / "site" / "admin.html").write_text("<p>INTERNAL-SECRET</p>")
    # The internal service on 127.0.0.1, which only the name localhost resolves to; the
    # program's domains name it, so only the address check stands in the way.
    with DemoServer(internal_sites, first_address=1) as internal, DemoServer(site) as server:
        (site / "alpha" / "site" / "_redirects").write_text(
            f"/visa.html http://localhost:{internal.port}/admin.html 302\n"
        )
        import_programs(
            db,
            [
                ProgramRecord(
                    id="alpha",
                    name="Alpha IM",
                    website=server.url("alpha") + "/",
                    allowed_domains=[server.sites["alpha"].host, "localhost"],
                )
            ],
        )
        run_id = crawl(db, tmp_path / "data", server)
        alpha = server.url("alpha")
    assert internal.requests == []
    with db.session() as session:
        pages = session.scalars(select(Page.url)).all()
        visa = session.scalars(
            select(Capture).join(Page).where(Page.url == f"{alpha}/visa.html")
        ).one()
        report = queries.run_summary(session, run_id)["report"]
    assert not any("localhost" in url for url in pages)
    assert visa.error == "blocked_private_address: localhost resolves to 127.0.0.1"
    assert visa.http_status == 302
    assert report["blocked_private_address"] == 1
