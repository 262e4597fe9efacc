"""Scrapy's DNS resolver, refusing names that resolve to private or loopback addresses.

The check happens on the address the download then connects to, so a name cannot resolve to a
public address when checked and to a private one when fetched (DNS rebinding). Literal IP
addresses never reach a resolver: SafetyGuardMiddleware checks those.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

BLOCKED = "blocked_private_address"
# name -> reason, for the spider's failure report: Twisted turns a resolver error into a bare
# "no results for hostname lookup", losing why.
REFUSED_NAMES: dict[str, str] = {}


# IPv6 prefixes that carry an IPv4 address in their last 32 bits and may be translated to it
# on the way (NAT64, RFC 6052; the deprecated IPv4-compatible form).
IPV4_EMBEDDING = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("::/96"))


def is_private(address: str) -> bool:
    """Loopback, private, link-local, reserved or multicast: anything not on the internet.
    An IPv6 address is judged by the IPv4 address it embeds too (mapped, NAT64, 6to4, Teredo)."""
    ip = ipaddress.ip_address(address)
    if not ip.is_global or ip.is_multicast:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if any(ip in network for network in IPV4_EMBEDDING):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return any(v4 is not None and is_private(str(v4)) for v4 in embedded)
    return False


class SafeResolver(CachingThreadedResolver):
    allowed: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.allowed = frozenset(
            h.lower() for h in crawler.settings.getlist("IMGCRAWL_ALLOW_PRIVATE_HOSTS")
        )
        return resolver

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        resolved = super().getHostByName(name, timeout)
        resolved.addCallback(self._refuse_private, name)
        return resolved

    def _refuse_private(self, address: str, name: str) -> str:
        if name.lower() not in self.allowed and is_private(address):
            REFUSED_NAMES[name] = f"{BLOCKED}: {name} resolves to {address}"
            raise DNSLookupError(REFUSED_NAMES[name])
        return address
