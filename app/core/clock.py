"""Time is aware UTC from an injected clock; Asia/Shanghai only for display and payloads."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


def utc(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: the core only takes aware times")
    return dt.astimezone(UTC)


def from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def local(dt: datetime) -> datetime:
    return dt.astimezone(LOCAL_TZ)


def local_str(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if dt is None else local(dt).strftime(fmt)


def parse_local(text: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> datetime:
    """A carrier's ``yyyy-MM-dd HH:mm:ss`` (Beijing time) -> aware UTC."""
    return datetime.strptime(text, fmt).replace(tzinfo=LOCAL_TZ).astimezone(UTC)
