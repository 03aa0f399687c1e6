"""Who is the client behind a reverse proxy, and did it come over HTTPS?

Behind a proxy every request comes from the proxy's address, so a per-IP rate limit would count the
whole city as one client. The proxy says whom it served in ``X-Forwarded-For`` (or RFC 7239
``Forwarded``), but anybody can send those headers, so they count only when the peer is a proxy
named in ``JENABOT_TRUSTED_PROXIES``. Each proxy appends the address it saw, so the list is read
from the right: trusted hops are skipped, the first untrusted address is the client. Anything to its
left was written by the client itself and is ignored.

``X-Forwarded-For`` wins over ``Forwarded`` when both are present (nginx, ingress-nginx, HAProxy and
Traefik set it; a header the trusted proxy does not set passes through from the client unchanged).
The scheme comes from ``X-Forwarded-Proto`` (or ``proto=``) as the outermost trusted proxy wrote it,
i.e. what the browser used; it decides the session cookie's ``Secure`` flag.

``ProxyHeaders`` applies this once per request to the ASGI scope (``client`` and ``scheme``), so
``request.client.host`` and ``request.url.scheme`` are the citizen's everywhere, as with uvicorn's
own proxy-header support (switched off in ``jenabot serve gateway``: it knows no CIDRs and no
``Forwarded``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.settings import split_list

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Hop:
    """One proxy's view: the address it was connected from, and the scheme it was reached over."""

    address: str
    proto: str | None = None


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """From the setting: IPs or CIDRs, comma-separated (the settings already rejected typos)."""
        return cls(tuple(ipaddress.ip_network(entry, strict=False) for entry in split_list(text)))

    def trusts(self, address: str) -> bool:
        ip = parse_ip(address)
        return ip is not None and any(ip in network for network in self.networks)


def parse_ip(text: str) -> Address | None:
    """An address as proxies write it: plain, ``[v6]``, with ``:port``, quoted; IPv4-mapped v6 as v4."""
    value = text.strip().strip('"')
    if value.startswith("["):  # [2001:db8::1]:4711
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:  # 192.0.2.1:4711
        value = value.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> list[str]:
    """All values of a header (it may come several times), split at commas, in order."""
    values = [value.decode("latin-1") for key, value in headers if key.lower() == name]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _forwarded_elements(elements: list[str]) -> list[Hop]:
    """RFC 7239: ``for=192.0.2.60;proto=https;by=203.0.113.43`` per element."""
    hops = []
    for element in elements:
        pairs = dict(
            (key.strip().lower(), value.strip().strip('"'))
            for key, _, value in (pair.partition("=") for pair in element.split(";"))
        )
        hops.append(Hop(pairs.get("for", ""), pairs.get("proto")))
    return hops


def forwarded_hops(headers: Iterable[tuple[bytes, bytes]]) -> list[Hop]:
    """The chain the proxies reported, leftmost = farthest from us."""
    headers = list(headers)
    addresses = _header(headers, b"x-forwarded-for")
    if addresses:
        # Each proxy appends to both lists (or one proxy replaces both): align them from the right.
        protos = [p.lower() for p in _header(headers, b"x-forwarded-proto")][-len(addresses) :]
        padded: list[str | None] = [None] * (len(addresses) - len(protos))
        padded += protos
        return [Hop(a, proto) for a, proto in zip(addresses, padded, strict=True)]
    return _forwarded_elements(_header(headers, b"forwarded"))


def resolve(peer: str, scheme: str, headers: Iterable[tuple[bytes, bytes]], trusted: TrustedProxies) -> tuple[str, str]:
    """(client address, scheme) of a request that reached us from ``peer`` over ``scheme``."""
    if not trusted.trusts(peer):
        return peer, scheme
    client, proto = peer, None
    for hop in reversed(forwarded_hops(headers)):
        proto = hop.proto or proto  # in the end: what the proxy facing the client was reached over
        if parse_ip(hop.address) is None:
            break  # "unknown", an obfuscated name or garbage: the last proxy we trust is the best we know
        client = str(parse_ip(hop.address))
        if not trusted.trusts(client):
            break
    return client, proto if proto in ("http", "https") else scheme


class ProxyHeaders:
    """ASGI middleware: the client address and scheme from trusted proxies' headers (see module doc)."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted.networks and scope.get("client"):
            host, port = scope["client"]
            secure = scope.get("scheme") in ("https", "wss")
            client, scheme = resolve(host, "https" if secure else "http", scope["headers"], self.trusted)
            if client != host or (scheme == "https") != secure:
                scope = dict(scope)
                scope["client"] = (client, port if client == host else 0)
                if scope["type"] == "websocket":
                    scope["scheme"] = "wss" if scheme == "https" else "ws"
                else:
                    scope["scheme"] = scheme
        await self.app(scope, receive, send)
