"""Requests Azur sends to addresses that users chose: webhook targets, ``input_reference.image_url``.

A user who names a URL must not make the server reach what only the server can reach (its loopback, the
private network it sits in, a cloud's metadata address at 169.254.169.254): server-side request forgery.
Every such request goes through here:

- only ``http`` and ``https``, no credentials in the URL, the usual ports unless the operator allows others;
- the host is resolved once and *every* address it resolves to must be public (not private, loopback,
  link-local, multicast, reserved or unspecified), unless the operator allowed that network;
- the connection goes to the address that was checked (the URL is rewritten to the IP, the Host header and
  TLS server name keep the name), so a DNS answer that changes between check and connect (rebinding) cannot
  redirect it;
- redirects are followed by hand, each hop checked the same way, a few at most;
- bodies are read in chunks up to a byte limit, within one overall deadline.

The operator's settings are ``[outbound]`` in :mod:`azur.config`.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from azur.config import OutboundSettings

MAX_REDIRECTS = 3
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedURL(ValueError):
    """The URL may not be reached (scheme, credentials, port, or an address that is not public)."""


class FetchFailed(RuntimeError):
    """The URL was allowed but answered badly: unreachable, too slow, too large, or an error status."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address the request will go to."""

    url: str
    host: str  # as written in the URL (the Host header and TLS server name)
    address: str  # the checked IP the connection is made to
    pinned_url: str  # ``url`` with the host replaced by ``address``


def _is_public(address: _Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _allowed(address: _Address, settings: OutboundSettings) -> bool:
    if _is_public(address):
        return True
    if settings.allow_private:
        return True
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.allowed_networks)


def _resolve(host: str, port: int) -> list[_Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchFailed(f"cannot resolve host '{host}'") from exc
    # Scope ids ("fe80::1%eth0") are dropped: the address alone is what is judged.
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def check_url(url: str, settings: OutboundSettings) -> Target:
    """Check ``url`` and resolve its host; raises :class:`BlockedURL` (or FetchFailed if it does not resolve)."""
    if not isinstance(url, str) or len(url) > 2048:
        raise BlockedURL("the URL must be a string of at most 2,048 characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BlockedURL(f"invalid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise BlockedURL("only http and https URLs are allowed")
    if parts.username is not None or parts.password is not None:
        raise BlockedURL("URLs with credentials are not allowed")
    host = parts.hostname
    if not host:
        raise BlockedURL("the URL has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    if port not in settings.allowed_ports and not settings.allow_private:
        raise BlockedURL(f"port {port} is not allowed (allowed: {', '.join(map(str, settings.allowed_ports))})")
    addresses = _resolve(host, port)
    if not addresses:
        raise FetchFailed(f"host '{host}' has no address")
    refused = [a for a in addresses if not _allowed(a, settings)]
    if refused:
        raise BlockedURL(f"'{host}' resolves to a private or reserved address ({refused[0]}), which is not allowed")
    address = addresses[0]
    shown = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{shown}:{parts.port}" if parts.port else shown
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    return Target(url=url, host=host, address=str(address), pinned_url=pinned)


def _send(client: httpx.Client, method: str, target: Target, *, headers: dict[str, str] | None,
          content: bytes | None, timeout: float) -> httpx.Response:
    host_header = urlsplit(target.url).netloc.rsplit("@", 1)[-1]
    request = client.build_request(method, target.pinned_url, headers={**(headers or {}), "Host": host_header},
                                   content=content, timeout=timeout,
                                   extensions={"sni_hostname": target.host})
    return client.send(request, stream=True, follow_redirects=False)


def request(method: str, url: str, settings: OutboundSettings, *, headers: dict[str, str] | None = None,
            content: bytes | None = None, max_bytes: int | None = None, timeout: float | None = None,
            follow_redirects: bool = True) -> tuple[httpx.Response, bytes]:
    """Send one request to a user-chosen URL within the guard; returns the final response and its body
    (read up to ``max_bytes``). Raises BlockedURL for a forbidden target and FetchFailed for a failed fetch."""
    limit = max_bytes if max_bytes is not None else settings.max_bytes
    budget = timeout if timeout is not None else settings.timeout_seconds
    deadline = time.monotonic() + budget
    with httpx.Client(trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target = check_url(url, settings)
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchFailed(f"no answer within {budget:g} s")
            try:
                response = _send(client, method, target, headers=headers, content=content, timeout=left)
                try:
                    if follow_redirects and response.is_redirect and "location" in response.headers:
                        url = str(httpx.URL(url).join(response.headers["location"]))
                        if method not in ("GET", "HEAD"):
                            method, content = "GET", None
                        continue
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limit:
                        raise FetchFailed(f"the answer is larger than {limit} bytes")
                    body = bytearray()
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise FetchFailed(f"the answer is larger than {limit} bytes")
                        if time.monotonic() > deadline:
                            raise FetchFailed(f"no complete answer within {budget:g} s")
                    return response, bytes(body)
                finally:
                    response.close()
            except httpx.TimeoutException as exc:
                raise FetchFailed(f"no answer within {budget:g} s") from exc
            except httpx.HTTPError as exc:
                raise FetchFailed(f"request failed: {type(exc).__name__}") from exc
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")
