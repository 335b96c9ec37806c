"""One shared httpx client for the order sources, mapped onto the SourceError tree.

Same shape as ``app.core.carriers.http``: never reached is ``SourceUnavailableError``;
maybe reached (read timeout, 5xx) is ``SourceOutcomeUnknownError`` for calls that
change something and ``SourceUnavailableError`` for reads; 429 is rate-limited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from app.core.sources.base import (
    SourceOutcomeUnknownError,
    SourceRateLimitedError,
    SourceUnavailableError,
)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes


class SourceHttp:
    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            transport=transport,
            trust_env=False,
            headers={"User-Agent": "JuPei/0.1"},
        )
        self.request_count = 0

    async def request(
        self,
        source: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        content_type: str = "",
        headers: Mapping[str, str] | None = None,
        mutating: bool,
    ) -> HttpResponse:
        hdrs = {"Content-Type": content_type} if content_type else {}
        hdrs.update(headers or {})
        self.request_count += 1
        try:
            resp = await self._client.request(
                method, url, params=dict(params or {}), content=content, headers=hdrs
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
            raise SourceUnavailableError(source, f"not reached: {type(e).__name__}") from None
        except httpx.HTTPError as e:
            kind = SourceOutcomeUnknownError if mutating else SourceUnavailableError
            raise kind(source, f"no answer: {type(e).__name__}") from None
        if resp.status_code == 429:
            raise SourceRateLimitedError(source, "HTTP 429", code=429)
        if resp.status_code >= 500:
            kind = SourceOutcomeUnknownError if mutating else SourceUnavailableError
            raise kind(source, f"HTTP {resp.status_code}", code=resp.status_code)
        return HttpResponse(resp.status_code, resp.content)

    async def aclose(self) -> None:
        await self._client.aclose()
