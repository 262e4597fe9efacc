import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from crawler.demo_server import DemoServer


@pytest.fixture
def tiny_sites(tmp_path: Path) -> Path:
    for site, body in (
        ("one", 'link to <a href="{{site:two}}/x.html">two</a> on {{host:two}}'),
        ("two", "hello from two"),
    ):
        root = tmp_path / site / "site"
        root.mkdir(parents=True)
        (root / "index.html").write_text(f"<p>{body}</p>")
        (root / "x.html").write_text("<p>x</p>")
    (tmp_path / "one" / "site" / "_redirects").write_text("/old.html /x.html 301\n")
    (tmp_path / "secret.txt").write_text("outside the site root")
    return tmp_path


def fetch(url: str) -> tuple[int, str, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.read().decode(), response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, "", error.headers.get("Location", "")


def test_each_site_has_its_own_loopback_host_and_placeholders_resolve(tiny_sites):
    with DemoServer(tiny_sites) as server:
        assert len(set(server.hosts())) == 2 and all(
            h.startswith("127.0.0.") for h in server.hosts()
        )
        status, body, _ = fetch(server.url("one") + "/")
        assert status == 200
        assert f'href="{server.url("two")}/x.html"' in body and server.sites["two"].host in body
        assert fetch(server.url("two") + "/")[1] == "<p>hello from two</p>"


def test_redirects_404s_and_no_escape_from_the_site_root(tiny_sites):
    with DemoServer(tiny_sites) as server:
        status, _, location = fetch(server.url("one") + "/old.html")
        assert (status, location) == (301, "/x.html")
        assert fetch(server.url("one") + "/nope.html")[0] == 404
        assert fetch(server.url("one") + "/../../secret.txt")[0] == 404
        assert fetch(server.url("one") + "/_redirects")[0] == 404


def test_delays_hold_the_answer_back(tiny_sites):
    (tiny_sites / "two" / "site" / "_delays").write_text("/x.html 0.5\n")
    with DemoServer(tiny_sites) as server:
        started = time.monotonic()
        assert fetch(server.url("two") + "/x.html")[0] == 200
        assert time.monotonic() - started >= 0.5
        started = time.monotonic()
        fetch(server.url("two") + "/")
        assert time.monotonic() - started < 0.5
