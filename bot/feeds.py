"""feeds.yaml -> FeedSpecs (validated with pydantic; every problem located)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import ConfigError
from bot.models import FeedSpec
from bot.yamlfile import load_yaml, validate

_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_HTTP_INTERVAL = 60


def parse_interval(value: str | int) -> int:
    """'30s', '10m', '1h', '1d' (or a number of seconds) -> seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        m = _INTERVAL.match(str(value))
        if not m:
            raise ValueError(f"{value!r} is not an interval like 30s, 10m, 1h or 1d")
        seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError(f"{value!r}: an interval must be positive")
    return seconds


def is_remote(url: str) -> bool:
    return urlparse(url).scheme in ("http", "https")


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    name: str | None = None
    interval: str | int = "15m"
    tags: list[str] = Field(default_factory=list)
    full_text: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        scheme = urlparse(v).scheme
        if scheme in ("http", "https"):
            if not urlparse(v).netloc:
                raise ValueError(f"{v!r} has no host")
        elif scheme not in ("file", "") and not re.match(r"^[A-Za-z]:\\", v):
            raise ValueError(f"{v!r}: use http(s)://, file:// or a local path")
        if not v:
            raise ValueError("empty url")
        return v

    @field_validator("interval")
    @classmethod
    def _interval(cls, v: str | int) -> str | int:
        parse_interval(v)
        return v


class FeedsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feeds: list[FeedIn]


def load_feeds(path: str | Path) -> list[FeedSpec]:
    doc = load_yaml(path)
    if doc.data is not None and not isinstance(doc.data, dict):
        # pydantic would say "a valid dictionary or instance of FeedsFile"
        raise ConfigError([doc.problem((), "expected a mapping with a `feeds:` list, each "
                                           "entry with a `url:`")])
    data = validate(doc, FeedsFile)
    problems = []
    seen: dict[str, int] = {}
    out = []
    base = Path(path).parent
    for i, f in enumerate(data.feeds):
        seconds = parse_interval(f.interval)
        if is_remote(f.url) and seconds < MIN_HTTP_INTERVAL:
            problems.append(doc.problem(("feeds", i, "interval"),
                                        f"{f.interval!r}: http feeds are polled at most once a minute"))
        url = f.url
        if not is_remote(url) and not url.startswith("file://") and not Path(url).is_absolute():
            url = str((base / url).resolve())
        if url in seen:
            problems.append(doc.problem(("feeds", i, "url"),
                                        f"{f.url!r} is already listed at feeds[{seen[url]}]"))
        seen[url] = i
        out.append(FeedSpec(url=url, name=f.name or f.url, interval_seconds=seconds,
                            tags=tuple(f.tags), full_text=f.full_text))
    if problems:
        raise ConfigError(problems)
    return out
