"""Fetch one http(s) URL safely: no private addresses, bounded size and time, checked redirects."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

MAX_REDIRECTS = 5
USER_AGENT = "newsbot/0.1 (article loader)"
ALLOW_PRIVATE_HINT = "set NEWSBOT_ALLOW_PRIVATE_URLS=true to allow"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)

_METADATA_REFUSAL = "a cloud metadata address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A URL could not be fetched; `reason` says why in words a user can act on."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


@dataclass(frozen=True)
class FetchedPage:
    url_requested: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    encoding: str | None
    # The validators a conditional GET sends back next time (ETag, Last-Modified), if any.
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET: nothing changed, the body is empty."""
        return self.status == 304


def human_size(n_bytes: int) -> str:
    """Format a byte count the way limits are usually stated: 10_000_000 -> "10 MB"."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n_bytes >= size:
            return f"{n_bytes / size:.3g} {unit}"
    return f"{n_bytes} bytes"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def address_refusal(address: IPAddress) -> str | None:
    """Why fetching from `address` is refused by default, or None if it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # Order matters: the metadata addresses are also link-local or private, but the specific
    # name tells the user why this one matters.
    if address in _METADATA_ADDRESSES:
        return _METADATA_REFUSAL
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        # Catches what the flags above miss, such as carrier-grade NAT (100.64.0.0/10).
        ("non-public", not address.is_global),
    )
    for name, matched in checks:
        if matched:
            return f"a {name} address"
    return None


def resolve_host(
    url: str, host: str, port: int, *, allow_private: bool, allow_loopback: bool = False
) -> list[str]:
    """Resolve `host` and return its addresses, all checked against the private-address policy.

    `allow_loopback` lets through this machine's own addresses (127.0.0.0/8, ::1) and nothing
    else: a local feed server can be polled while a redirect to 10.x is still refused.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(url, f"cannot resolve host {host!r} ({exc}); check the URL") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0"): the policy check is about the address itself.
        text = str(sockaddr[0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        refusal = address_refusal(address)
        # One bad address is enough to refuse: a host that resolves to both a public and a
        # private address is exactly what a rebinding attack looks like.
        if refusal == _METADATA_REFUSAL:
            raise FetchError(
                url, f"refused: resolves to {refusal} {address}, which is never fetched"
            )
        loopback_ok = allow_loopback and refusal == "a loopback address"
        if refusal is not None and not allow_private and not loopback_ok:
            raise FetchError(
                url, f"refused: resolves to {refusal} {address} ({ALLOW_PRIVATE_HINT})"
            )
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise FetchError(url, f"cannot resolve host {host!r}: no addresses; check the URL")
    return addresses


class _DeadlineStream(httpcore.NetworkStream):
    """Caps every socket operation by the time left, so a slow-drip server hits the total limit."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _bounded(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("total time limit reached")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = self._bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, bounded), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to the addresses we validated for one host, whatever DNS says by then.

    The URL keeps its host name, so the Host header, TLS SNI and certificate checks stay the
    ordinary ones; only the TCP connection is pinned. This closes the DNS-rebinding gap between
    checking an address and connecting to it.
    """

    def __init__(self, host: str, addresses: list[str], deadline: float) -> None:
        self._host = host
        self._addresses = addresses
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._host:
            raise httpcore.ConnectError(f"connection to unvalidated host {host!r} blocked")
        last_error: Exception = httpcore.ConnectError(f"no address to connect to for {host!r}")
        for address in self._addresses:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ConnectTimeout("total time limit reached")
            try:
                stream = self._inner.connect_tcp(
                    address,
                    port,
                    timeout=left if timeout is None else min(timeout, left),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                last_error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for fetching URLs")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    # httpx maps httpcore's exceptions only inside its own transport; ours does the same so
    # callers deal with one family of errors.
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise httpx.TimeoutException(str(exc)) from exc
    except httpcore.ConnectError as exc:
        raise httpx.ConnectError(str(exc)) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
        raise httpx.TransportError(str(exc)) from exc


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._inner

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


class _PinnedTransport(httpx.BaseTransport):
    """httpx's default transport, but over a connection pool that uses `_PinnedBackend`."""

    def __init__(self, backend: _PinnedBackend) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=backend, retries=0
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            core_response = self._pool.handle_request(core_request)
        assert isinstance(core_response.stream, Iterable)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _check_scheme(url: str, parsed: httpx.URL) -> None:
    if parsed.scheme not in ("http", "https"):
        scheme = parsed.scheme or "no scheme"
        raise FetchError(url, f"refused: only http and https URLs can be fetched, not {scheme}")
    if not parsed.host:
        raise FetchError(url, "the URL has no host name; check it")


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(url, f"not a valid URL ({exc})") from exc


def _read_body(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(
            url, f"body larger than {human_size(max_bytes)} ({human_size(int(declared))} declared)"
        )
    chunks: list[bytes] = []
    received = 0
    # Counted after decompression, so a small gzip bomb cannot slip past the limit.
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > max_bytes:
            raise FetchError(url, f"body larger than {human_size(max_bytes)}")
        chunks.append(chunk)
    return b"".join(chunks)


def _page(url: str, current: httpx.URL, response: httpx.Response, body: bytes) -> FetchedPage:
    return FetchedPage(
        url_requested=url,
        final_url=str(current),
        status=response.status_code,
        content_type=response.headers.get("content-type", ""),
        body=body,
        encoding=response.charset_encoding,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def fetch_url(
    url: str,
    *,
    timeout_s: float,
    max_bytes: int,
    allow_private: bool,
    allow_loopback: bool = False,
    headers: dict[str, str] | None = None,
) -> FetchedPage:
    """GET `url`, following up to 5 redirects, each re-checked; raise FetchError on any problem.

    `timeout_s` bounds the whole fetch (DNS aside: `getaddrinfo` has no timeout of its own),
    including a server that sends its body one byte at a time. `headers` are added to the
    request; with If-None-Match or If-Modified-Since among them, a 304 answer is returned as a
    page whose `not_modified` is true.
    """
    conditional = bool(
        headers and {"if-none-match", "if-modified-since"} & {k.lower() for k in headers}
    )
    deadline = time.monotonic() + timeout_s
    current = _parse(url)
    for hop in range(MAX_REDIRECTS + 1):
        try:
            _check_scheme(url, current)
            host = current.raw_host.decode("ascii")
            port = current.port or (443 if current.scheme == "https" else 80)
            addresses = resolve_host(
                url, host, port, allow_private=allow_private, allow_loopback=allow_loopback
            )
        except FetchError as exc:
            if hop == 0:
                raise
            raise FetchError(url, f"redirected to {current}, {exc.reason}") from exc
        backend = _PinnedBackend(host, addresses, deadline)
        sent = {"User-Agent": USER_AGENT, "Accept": "text/html, text/plain;q=0.9, */*;q=0.1"}
        sent.update(headers or {})
        try:
            with (
                httpx.Client(
                    transport=_PinnedTransport(backend),
                    timeout=httpx.Timeout(timeout_s),
                    follow_redirects=False,
                    trust_env=False,  # a proxy would connect on our behalf, bypassing the pin
                ) as client,
                client.stream("GET", current, headers=sent) as response,
            ):
                if response.status_code in _REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(
                            url, f"HTTP {response.status_code} redirect without a Location"
                        )
                    current = current.join(location)
                    continue
                if response.status_code == 304 and conditional:
                    return _page(url, current, response, b"")
                if not 200 <= response.status_code < 300:
                    phrase = response.reason_phrase or httpx.codes.get_reason_phrase(
                        response.status_code
                    )
                    raise FetchError(url, f"HTTP {response.status_code} {phrase}".rstrip())
                return _page(url, current, response, _read_body(response, url, max_bytes))
        except httpx.TimeoutException as exc:
            raise FetchError(url, f"timed out after {_seconds(timeout_s)}") from exc
        except httpx.ConnectError as exc:
            raise FetchError(url, f"could not connect to {host} ({exc})") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(url, f"redirected to an invalid URL ({exc})") from exc
        except httpx.HTTPError as exc:
            raise FetchError(url, f"could not fetch ({exc or type(exc).__name__})") from exc
    raise FetchError(url, f"too many redirects (more than {MAX_REDIRECTS})")
