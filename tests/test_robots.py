"""robots.txt is a ground rule: a disallowed page is never fetched, whatever the timing, and a
robots.txt that cannot be read is not taken for "no robots.txt".

Real crawls against the demo server; every case is made by what the server answers (a slow,
failing, looping or missing robots.txt), not by timing luck.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.demo_server import DemoServer
from crawler.orchestrate import CrawlOptions, run_cycle
from crawler.programs_io import ProgramRecord, import_programs
from db import queries
from db.models import Capture, Page
from db.session import Database

ROBOTS = "User-agent: *\nDisallow: /internal/\n"
DRAFTS = [f"internal/draft-{i}.html" for i in range(5)]


@pytest.fixture
def db(tmp_path):
    # robots.txt handling lives in the crawl process; the database backend plays no part.
    database = Database(f"sqlite:///{tmp_path / 'imgcrawl.sqlite3'}")
    yield database
    database.dispose()


def write_site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / "alpha" / "site" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "alpha" / "site" / name).write_text(text)
    return root


def register(db, server: DemoServer, paths: list[str]) -> None:
    """One program per path, all on the alpha host (so they share its robots.txt)."""
    import_programs(
        db,
        [
            ProgramRecord(
                id=f"p{i}",
                name=f"Program {i}",
                website=f"{server.url('alpha')}/{path}",
                allowed_domains=[server.sites["alpha"].host],
            )
            for i, path in enumerate(paths)
        ],
    )


def crawl(db, tmp_path: Path, server: DemoServer, **settings) -> dict:
    run_id = run_cycle(
        db,
        tmp_path / "data",
        CrawlOptions(
            download_delay=0,
            allow_private_hosts=tuple(server.hosts()),
            extra_settings=settings or None,
        ),
    )
    with db.session() as session:
        return queries.run_summary(session, run_id)["report"]


def captures(db) -> dict[str, str | None]:
    """Path -> failure reason (None: fetched) of every capture."""
    with db.session() as session:
        rows = session.execute(select(Page.url, Capture.error).join(Page)).all()
    return {url.split("/", 3)[3]: error for url, error in rows}


def test_every_request_waiting_for_robots_txt_obeys_it(db, tmp_path):
    """Requests that arrive while their host's robots.txt is being fetched all wait for it and
    all get its rules. Scrapy 2.19's middleware gave the rules to the first waiter only; every
    other one was let through as if the site had no robots.txt (under load, when robots.txt
    was slow to come, pine-valley-neuro's disallowed page was fetched now and then)."""
    site = write_site(
        tmp_path / "sites",
        {
            "index.html": "<title>Alpha</title><p>Welcome.</p>",
            "robots.txt": ROBOTS,
            # Slow, so that all six start requests are waiting for it at once.
            "_delays": "/robots.txt 2\n",
            **{path: "<p>We sponsor H-1B visas (draft).</p>" for path in DRAFTS},
        },
    )
    with DemoServer(site) as server:
        register(db, server, ["", *DRAFTS])
        report = crawl(db, tmp_path, server)
        fetched = [path for _site, _method, path in server.requests]
    assert sorted(fetched) == ["/", "/robots.txt"]
    assert report["robots_skipped"] == len(DRAFTS)
    assert report["robots_unavailable"] == 0
    assert captures(db) == {"": None}


@pytest.mark.parametrize(
    "files, settings, reason",
    [
        ({"_faults": "/robots.txt 503 99\n"}, {}, "robots_unavailable"),  # after 2 retries
        ({"_faults": "/robots.txt 429 99\n"}, {}, "robots_unavailable"),  # not "no robots.txt"
        ({"_delays": "/robots.txt 3\n"}, {"DOWNLOAD_TIMEOUT": 1}, "timeout"),
        # Redirected to itself: our RedirectMiddleware gives up (IgnoreRequest).
        ({"_redirects": "/robots.txt /robots.txt 302\n"}, {}, "robots_unavailable"),
    ],
    ids=["503", "429", "hangs", "redirect-loop"],
)
def test_a_robots_txt_that_cannot_be_read_keeps_the_whole_host_out_of_the_run(
    db, tmp_path, files, settings, reason
):
    site = write_site(
        tmp_path / "sites",
        {"index.html": '<a href="/about.html">About</a>', "about.html": "<p>About.</p>", **files},
    )
    with DemoServer(site) as server:
        register(db, server, ["", "internal/draft-0.html"])
        report = crawl(db, tmp_path, server, **settings)
        fetched = {path for _site, _method, path in server.requests}
    assert fetched == {"/robots.txt"}  # nothing but robots.txt, however often it was tried
    errors = captures(db)
    assert set(errors) == {"", "internal/draft-0.html"}
    assert all(error.startswith(f"{reason}: ") for error in errors.values()), errors
    assert all("/robots.txt" in error for error in errors.values()), errors
    assert report["failed_by_reason"] == {reason: 2}
    assert report["robots_unavailable"] == 2
    assert report["robots_unavailable_by_program"] == {"p0": 1, "p1": 1}
    assert report["programs_not_reached"] == ["p0", "p1"]


def test_a_missing_robots_txt_allows_everything(db, tmp_path):
    """404 (or any 4xx but 429) is "no robots.txt": RFC 9309 2.3.1.3."""
    site = write_site(tmp_path / "sites", {"index.html": "<p>Hi.</p>", DRAFTS[0]: "<p>Draft.</p>"})
    with DemoServer(site) as server:
        register(db, server, ["", DRAFTS[0]])
        report = crawl(db, tmp_path, server)
    assert captures(db) == {"": None, DRAFTS[0]: None}
    assert report["robots_unavailable"] == 0 and report["robots_skipped"] == 0


@pytest.mark.parametrize(
    "allowed, reason",
    [
        ((), "blocked_private_address: localhost resolves to 127.0.0.1"),
        (("localhost",), "connection_refused: robots_unavailable: http://localhost:9/robots.txt"),
    ],
    ids=["refused-name", "nothing-listening"],
)
def test_a_host_whose_robots_txt_cannot_be_reached_says_why(db, tmp_path, allowed, reason):
    """The page's failure names the underlying cause: the safety guard's refusal of the name,
    or the connection that robots.txt could not get (the site is down)."""
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
            download_delay=0, allow_private_hosts=allowed, extra_settings={"RETRY_ENABLED": False}
        ),
    )
    with db.session() as session:
        (capture,) = session.scalars(select(Capture)).all()
        report = queries.run_summary(session, run_id)["report"]
    assert capture.error.startswith(reason), capture.error
    assert report["blocked_private_address"] == (0 if allowed else 1)
    assert report["robots_unavailable"] == (1 if allowed else 0)
