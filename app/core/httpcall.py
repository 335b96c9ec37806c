"""The one outbound HTTP client shape and its error mapping, shared by the carriers
(``app.core.carriers.http``) and the order sources (``app.core.sources.http``).

A request that never reached the other side (connect error, connect timeout, pool
timeout) is *unavailable*; one that may have reached it (read timeout, broken
response, 5xx) is *outcome unknown* when the call mutates and *unavailable* when it
only reads; 429 is *rate limited*. Each caller names its own exception classes
(``ErrorKinds``), so carriers raise ``CarrierError``s and sources ``SourceError``s.
No httpx exception escapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

# an exception class taking ``(who, message, *, code=None)``
_ErrorFactory = Callable[..., Exception]


@dataclass(frozen=True, slots=True)
class ErrorKinds:
    """The exception classes one family raises (all take ``(who, message, code=)``)."""

    unavailable: _ErrorFactory
    outcome_unknown: _ErrorFactory
    rate_limited: _ErrorFactory


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def new_client(
    *,
    timeout_s: float,
    connect_timeout_s: float,
    transport: httpx.AsyncBaseTransport | None,
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
        transport=transport,
        trust_env=False,
        headers={"User-Agent": "JuPei/0.1"},
    )


async def send(
    client: httpx.AsyncClient,
    kinds: ErrorKinds,
    who: str,
    method: str,
    url: str,
    *,
    mutating: bool,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    timeout_s: float | None = None,
) -> HttpResponse:
    """One request; every failure becomes one of ``kinds`` (see the module doc)."""
    extra: dict[str, Any] = {}
    if timeout_s is not None:
        extra["timeout"] = timeout_s
    try:
        resp = await client.request(
            method,
            url,
            content=content,
            headers=dict(headers or {}),
            params=dict(params) if params is not None else None,
            **extra,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
        raise kinds.unavailable(who, f"not reached: {type(e).__name__}") from None
    except httpx.HTTPError as e:
        kind = kinds.outcome_unknown if mutating else kinds.unavailable
        raise kind(who, f"no answer: {type(e).__name__}") from None
    if resp.status_code == 429:
        raise kinds.rate_limited(who, "HTTP 429", code=429)
    if resp.status_code >= 500:
        kind = kinds.outcome_unknown if mutating else kinds.unavailable
        raise kind(who, f"HTTP {resp.status_code}", code=resp.status_code)
    return HttpResponse(resp.status_code, resp.content, dict(resp.headers))
