"""Getting feed bytes: conditional GET over HTTP (httpx), or a local file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from bot import __version__

USER_AGENT = f"shiftwatch/{__version__} (+https://github.com/shiftwatch; news stance monitor)"
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Fetched:
    body: bytes | None          # None: not modified (304)
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] | None = None


class FetchFailed(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def local_path(url: str) -> Path | None:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme in ("", ) or (len(parsed.scheme) == 1 and url[1:3] == ":\\"):
        return Path(url)
    return None


async def fetch(client: httpx.AsyncClient, url: str, *, etag: str | None = None,
                last_modified: str | None = None, max_bytes: int = MAX_BYTES) -> Fetched:
    path = local_path(url)
    if path is not None:
        try:
            return Fetched(path.read_bytes())
        except OSError as exc:
            raise FetchFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(None, etag, last_modified)
            if response.status_code in (429, 503):
                raise FetchFailed(f"HTTP {response.status_code}",
                                  _retry_after(response.headers.get("retry-after")))
            if response.status_code >= 400:
                raise FetchFailed(f"HTTP {response.status_code}")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchFailed(f"body larger than {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(b"".join(chunks), response.headers.get("etag"),
                           response.headers.get("last-modified"), dict(response.headers))
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from None


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def make_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={"User-Agent": USER_AGENT},
        timeout=httpx.Timeout(20.0, connect=10.0),
        follow_redirects=True,
        max_redirects=5,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )
