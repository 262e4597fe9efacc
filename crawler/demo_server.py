"""The demo server: serves the bundled demo sites on the loopback network.

Each site gets its own loopback address (127.0.0.2, 127.0.0.3, ...) on one shared free port, so
Scrapy sees distinct hosts and per-domain politeness is real. Served pages may contain
`{{site:ID}}` (base URL of another site), `{{host:ID}}` (its host) and `{{class:N}}` (a class
year that stays current). Named behaviours, per
site, for the tests: a `_redirects` file of `OLD_PATH NEW_PATH [STATUS]` lines, and a `_faults`
file of `PATH STATUS TIMES` lines (answer STATUS the first TIMES requests, then serve the file),
and a `_delays` file of `PATH SECONDS` lines (wait that long before answering, every time).
Unknown paths are 404. Every request is logged in `requests` with its User-Agent. Files carry
ETag and Last-Modified and conditional requests get 304, unless `conditional=False` (to test
the same-body path of a crawler that cannot rely on them).
"""

from __future__ import annotations

import errno
import hashlib
import mimetypes
import re
import threading
import time
from dataclasses import dataclass
from datetime import date
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

DEFAULT_SITES_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "sites"
PLACEHOLDER = re.compile(r"\{\{(site|host):([a-z0-9_-]+)\}\}")
# "Class of {{class:0}}": the class graduating at the end of the current academic year (July to
# June), {{class:1}} the one after. The demo sites stay current the way a maintained site does,
# so a roster read on any day lists the same residents.
CLASS_PLACEHOLDER = re.compile(r"\{\{class:([0-9])\}\}")


def graduating_class(offset: int, today: date | None = None) -> int:
    """The year the class OFFSET years behind the current graduating class finishes."""
    today = today or date.today()
    return today.year + (1 if today.month >= 7 else 0) + offset


def substitute_class_years(text: str, today: date | None = None) -> str:
    """Replace {{class:N}} with the graduating year of that class."""
    return CLASS_PLACEHOLDER.sub(lambda m: str(graduating_class(int(m.group(1)), today)), text)


TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")


class DemoServerError(RuntimeError):
    """The demo server could not start (no sites, no free address)."""


@dataclass(frozen=True)
class DemoSite:
    id: str
    root: Path
    host: str


class _Handler(BaseHTTPRequestHandler):
    server_version = "imgcrawl-demo/1"
    site: DemoSite
    demo: DemoServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet by default
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        self.demo.requests.append((self.site.id, self.command, self.path))
        self.demo.user_agents.add(self.headers.get("User-Agent", ""))
        path = unquote(urlparse(self.path).path) or "/"
        delay = self.demo.delays(self.site).get(path)
        if delay:
            time.sleep(delay)
        fault = self.demo.take_fault(self.site, path)
        if fault:
            self.send_response(fault)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        redirect = self.demo.redirects(self.site).get(path)
        if redirect:
            target, status = redirect
            self.send_response(status)
            self.send_header("Location", self.demo.substitute(target))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        file = self._resolve(path)
        if file is None:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            return
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        body = file.read_bytes()
        if content_type.startswith(TEXT_TYPES):
            body = self.demo.substitute(body.decode("utf-8")).encode("utf-8")
            content_type += "; charset=utf-8"
        etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
        mtime = int(file.stat().st_mtime)
        validators = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        if self.demo.conditional and self._not_modified(etag, mtime):
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.demo.conditional:
            for name, value in validators.items():
                self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        if self.headers.get("If-None-Match"):
            return etag in [t.strip() for t in self.headers["If-None-Match"].split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return mtime <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _resolve(self, path: str) -> Path | None:
        root = self.site.root.resolve()
        candidate = (root / path.lstrip("/")).resolve()
        if root not in (candidate, *candidate.parents):
            return None  # no escaping the site root with ../
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file() or candidate.name.startswith("_"):
            return None
        return candidate


class DemoServer:
    """Start with `with DemoServer() as server:`; `server.url(site_id)` gives a site's base."""

    def __init__(
        self, sites_dir: Path = DEFAULT_SITES_DIR, first_address: int = 2, conditional: bool = True
    ) -> None:
        self.sites_dir = Path(sites_dir)
        self.conditional = conditional
        ids = (
            sorted(p.name for p in self.sites_dir.iterdir() if (p / "site").is_dir())
            if self.sites_dir.is_dir()
            else []
        )
        if not ids:
            raise DemoServerError(f"no demo sites under {self.sites_dir}")
        self.sites = {
            sid: DemoSite(sid, self.sites_dir / sid / "site", f"127.0.0.{first_address + i}")
            for i, sid in enumerate(ids)
        }
        self.port: int | None = None
        self.requests: list[tuple[str, str, str]] = []
        self.user_agents: set[str] = set()
        self._faults: dict[str, dict[str, list[int]]] = {}
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []

    def url(self, site_id: str) -> str:
        return f"http://{self.sites[site_id].host}:{self.port}"

    def hosts(self) -> list[str]:
        return [site.host for site in self.sites.values()]

    def substitute(self, text: str) -> str:
        """Replace {{site:ID}} and {{host:ID}} with this server's addresses, and {{class:N}}."""

        def replace(match: re.Match) -> str:
            kind, site_id = match.groups()
            if site_id not in self.sites:
                return match.group(0)
            return self.url(site_id) if kind == "site" else self.sites[site_id].host

        return substitute_class_years(PLACEHOLDER.sub(replace, text))

    @staticmethod
    def _table(site: DemoSite, name: str) -> list[list[str]]:
        file = site.root / name
        if not file.is_file():
            return []
        return [
            line.split()
            for line in file.read_text().splitlines()
            if len(line.split()) >= 2 and not line.lstrip().startswith("#")
        ]

    # Read on every request, like the pages, so a test can change a site between cycles.
    def redirects(self, site: DemoSite) -> dict[str, tuple[str, int]]:
        return {
            parts[0]: (parts[1], int(parts[2]) if len(parts) > 2 else 301)
            for parts in self._table(site, "_redirects")
        }

    def delays(self, site: DemoSite) -> dict[str, float]:
        return {parts[0]: float(parts[1]) for parts in self._table(site, "_delays")}

    def take_fault(self, site: DemoSite, path: str) -> int | None:
        """The status to fail this request with, if the site's _faults say so."""
        with self._lock:
            if site.id not in self._faults:
                self._faults[site.id] = {
                    parts[0]: [int(parts[1]), int(parts[2])]
                    for parts in self._table(site, "_faults")
                }
            fault = self._faults[site.id].get(path)
            if fault and fault[1] > 0:
                fault[1] -= 1
                return fault[0]
        return None

    def _bind_all(self, port: int) -> None:
        for site in self.sites.values():
            handler = type(f"Handler_{site.id}", (_Handler,), {"site": site, "demo": self})
            server = ThreadingHTTPServer((site.host, port), handler)
            server.daemon_threads = True
            self._servers.append(server)
            port = server.server_address[1]
        self.port = port

    def start(self) -> DemoServer:
        # Port 0 on the first address picks a free port; the others must get the same one.
        for _attempt in range(20):
            try:
                self._bind_all(0)
                break
            except OSError as error:
                self._close_servers()
                if error.errno != errno.EADDRINUSE:
                    raise DemoServerError(f"cannot bind the demo sites: {error}") from error
        else:
            raise DemoServerError("no port free on every demo address")
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever, daemon=True, kwargs={"poll_interval": 0.1}
            )
            thread.start()
            self._threads.append(thread)
        return self

    def _close_servers(self) -> None:
        for server in self._servers:
            server.server_close()
        self._servers = []

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
        self._close_servers()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
