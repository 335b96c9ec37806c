"""One shared httpx client for the order sources, mapped onto the SourceError tree.

The mapping is the carriers' one (``app.core.httpcall``): never reached is
``SourceUnavailableError``; maybe reached (read timeout, 5xx) is
``SourceOutcomeUnknownError`` for calls that change something and
``SourceUnavailableError`` for reads; 429 is rate-limited.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from app.core.httpcall import ErrorKinds, HttpResponse, new_client, send
from app.core.sources.base import (
    SourceOutcomeUnknownError,
    SourceRateLimitedError,
    SourceUnavailableError,
)

__all__ = ["HttpResponse", "SourceHttp"]

SOURCE_ERRORS = ErrorKinds(
    unavailable=SourceUnavailableError,
    outcome_unknown=SourceOutcomeUnknownError,
    rate_limited=SourceRateLimitedError,
)


class SourceHttp:
    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 3.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = new_client(
            timeout_s=timeout_s, connect_timeout_s=connect_timeout_s, transport=transport
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
        return await send(
            self._client,
            SOURCE_ERRORS,
            source,
            method,
            url,
            params=params or {},
            content=content,
            headers=hdrs,
            mutating=mutating,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
