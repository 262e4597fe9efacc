"""The browser's only way out: a SOCKS5 proxy on loopback that refuses private addresses.

Chromium resolves host names itself and follows redirects (of the page and of every
sub-request) without asking Playwright's route handler, so no request filter can keep a
rendered page from reaching an internal service. `GuardedPlaywrightHandler` (below) therefore
launches Chromium behind this proxy: every connection it opens, redirect hops included, comes
here as a host name and a port, and Playwright maps Chromium's own resolver to ~NOTFOUND, so
names are resolved here and nowhere else. The rule is SafeResolver's: a host listed in
IMGCRAWL_ALLOW_PRIVATE_HOSTS is let through; a literal private, loopback or link-local
address is refused; a name is resolved and refused if any address it resolves to is private,
and the connection goes to the address that was checked (no DNS rebinding between check and
connect). What else a page may reach is crawler/browser_guard.py's concern.

The proxy runs in its own thread with its own event loop, so piping page traffic never
competes with the crawl's reactor. Refusals are recorded in safe_resolver.REFUSED_NAMES (host
-> reason, for the spider's failure report) and passed to `on_refused`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.safe_resolver import BLOCKED, REFUSED_NAMES, is_private

logger = logging.getLogger(__name__)

# SOCKS5 (RFC 1928) constants.
VERSION = 5
NO_AUTH = 0
NO_ACCEPTABLE_METHOD = 0xFF
CONNECT = 1
IPV4, DOMAIN, IPV6 = 1, 3, 4
SUCCEEDED = 0
NOT_ALLOWED = 2  # "connection not allowed by ruleset": our refusals
HOST_UNREACHABLE = 4
CONNECTION_REFUSED = 5
COMMAND_NOT_SUPPORTED = 7
ADDRESS_TYPE_NOT_SUPPORTED = 8

# WebRTC may send UDP around the proxy (STUN); only proxied traffic is allowed.
WEBRTC_PROXIED_ONLY = "--force-webrtc-ip-handling-policy=disable_non_proxied_udp"
HANDSHAKE_TIMEOUT_S = 10.0  # a client that does not finish the greeting in this time is dropped
PIPE_CHUNK = 64 * 1024


def refusal(host: str, addresses: list[str], allowed: frozenset[str]) -> str | None:
    """Why a connection to HOST (resolved to ADDRESSES) is refused, or None if it may go."""
    if host in allowed:
        return None
    private = next((a for a in addresses if is_private(a)), None)
    if private is None:
        return None
    if private == host:
        return f"{BLOCKED}: {host} is a private address"
    return f"{BLOCKED}: {host} resolves to {private}"


class EgressProxy:
    """`port = EgressProxy(allowed, on_refused).start()`, then `stop()` when the crawl ends."""

    def __init__(
        self,
        allowed: frozenset[str],
        on_refused: Callable[[str], None] = lambda reason: None,
        connect_timeout_s: float = 20.0,
    ) -> None:
        self.allowed = frozenset(h.lower() for h in allowed)
        self.on_refused = on_refused
        self.connect_timeout_s = connect_timeout_s
        self.port: int | None = None
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Listen on 127.0.0.1 (a free port) and serve in a daemon thread; returns the port."""
        listener = socket.create_server(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(listener, ready), name="imgcrawl-egress", daemon=True
        )
        self._thread.start()
        ready.wait()
        return self.port

    def stop(self) -> None:
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._thread = None

    def _run(self, listener: socket.socket, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, sock=listener))
        ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: asyncio.StreamWriter | None = None
        try:
            target = await asyncio.wait_for(self._handshake(reader, writer), HANDSHAKE_TIMEOUT_S)
            if target is None:
                return
            host, port = target
            address = await self._checked_address(host, port, writer)
            if address is None:
                return
            try:
                upstream_reader, upstream = await asyncio.wait_for(
                    asyncio.open_connection(address, port), self.connect_timeout_s
                )
            except ConnectionRefusedError:
                await _reply(writer, CONNECTION_REFUSED)
                return
            except (OSError, TimeoutError):
                await _reply(writer, HOST_UNREACHABLE)
                return
            await _reply(writer, SUCCEEDED)
            await _splice(reader, writer, upstream_reader, upstream)
        except (asyncio.IncompleteReadError, TimeoutError, OSError):
            pass  # the client went away or never spoke SOCKS5: nothing to answer
        finally:
            for stream in (upstream, writer):
                if stream is not None:
                    stream.close()

    async def _handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int] | None:
        """The greeting and the CONNECT request: (host, port), or None once refused."""
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        if version != VERSION or NO_AUTH not in methods:
            writer.write(bytes([VERSION, NO_ACCEPTABLE_METHOD]))
            await writer.drain()
            return None
        writer.write(bytes([VERSION, NO_AUTH]))
        await writer.drain()
        _version, command, _reserved, kind = await reader.readexactly(4)
        if kind == IPV4:
            host = socket.inet_ntop(socket.AF_INET, await reader.readexactly(4))
        elif kind == IPV6:
            host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
        elif kind == DOMAIN:
            length = (await reader.readexactly(1))[0]
            host = (await reader.readexactly(length)).decode("ascii", "replace")
        else:
            await _reply(writer, ADDRESS_TYPE_NOT_SUPPORTED)
            return None
        port = int.from_bytes(await reader.readexactly(2), "big")
        if command != CONNECT:
            await _reply(writer, COMMAND_NOT_SUPPORTED)
            return None
        return host.lower().strip("[]").rstrip("."), port

    async def _checked_address(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> str | None:
        """The address to connect to for HOST, or None (after replying) if refused."""
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                infos = await self._loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError:
                await _reply(writer, HOST_UNREACHABLE)
                return None
            addresses = [info[4][0] for info in infos]
        reason = refusal(host, addresses, self.allowed)
        if reason is not None:
            REFUSED_NAMES[host] = reason
            logger.info("browser request refused: %s", reason)
            self.on_refused(reason)
            await _reply(writer, NOT_ALLOWED)
            return None
        return addresses[0]


async def _reply(writer: asyncio.StreamWriter, code: int) -> None:
    # The bound address is of no use to Chromium: 0.0.0.0:0.
    writer.write(bytes([VERSION, code, 0, IPV4, 0, 0, 0, 0, 0, 0]))
    await writer.drain()


async def _splice(
    client_reader: asyncio.StreamReader,
    client: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream: asyncio.StreamWriter,
) -> None:
    """Copy both ways until either side closes (browsers never half-close a connection)."""
    directions = [
        asyncio.ensure_future(_copy(client_reader, upstream)),
        asyncio.ensure_future(_copy(upstream_reader, client)),
    ]
    try:
        await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for direction in directions:
            direction.cancel()
        await asyncio.gather(*directions, return_exceptions=True)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(PIPE_CHUNK):
            writer.write(data)
            await writer.drain()


class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler, with Chromium launched behind the egress proxy.

    The proxy starts with the handler (before any browser) and stops when the engine stops;
    a browser relaunched after a crash gets the same launch options, so the same proxy.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        from twisted.internet import reactor

        def refused(_reason: str) -> None:
            # Called in the proxy's thread; stats belong to the reactor's.
            reactor.callFromThread(crawler.stats.inc_value, "safety/browser_connections_refused")

        self.egress = EgressProxy(
            frozenset(crawler.settings.getlist("IMGCRAWL_ALLOW_PRIVATE_HOSTS")),
            on_refused=refused,
            connect_timeout_s=crawler.settings.getfloat("IMGCRAWL_BROWSER_NAVIGATION_TIMEOUT"),
        )
        port = self.egress.start()
        options = self.config.launch_options
        # "<-loopback>": Chromium would otherwise reach loopback addresses directly. Playwright
        # adds the resolver rule that leaves every name to the proxy (MAP * ~NOTFOUND).
        options["proxy"] = {"server": f"socks5://127.0.0.1:{port}", "bypass": "<-loopback>"}
        options["args"] = [*options.get("args", ()), WEBRTC_PROXIED_ONLY]
        crawler.signals.connect(self.egress.stop, signal=signals.engine_stopped)
