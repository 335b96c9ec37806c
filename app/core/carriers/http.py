"""One shared httpx client for all carriers, with the error mapping adapters rely on.

A request that never reached the carrier (connect error, connect timeout) is
``UnavailableError``; one that may have reached it (read timeout, broken response,
5xx) is ``OutcomeUnknownError`` when the call mutates and ``UnavailableError`` when it
only reads. 429 is ``RateLimitedError``. No httpx exception escapes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from app.core.carriers.base import OutcomeUnknownError, RateLimitedError, UnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str]


class CarrierHttp:
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
        self.request_count = 0  # what the polling benchmark counts

    async def post(
        self,
        carrier: str,
        url: str,
        *,
        content: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        mutating: bool,
        timeout_s: float | None = None,
    ) -> HttpResponse:
        hdrs = {"Content-Type": content_type, **(headers or {})}
        self.request_count += 1
        try:
            resp = await self._client.post(
                url,
                content=content,
                headers=hdrs,
                params=params,
                timeout=timeout_s if timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
            raise UnavailableError(carrier, f"not reached: {type(e).__name__}") from None
        except httpx.HTTPError as e:
            kind = OutcomeUnknownError if mutating else UnavailableError
            raise kind(carrier, f"no answer: {type(e).__name__}") from None
        if resp.status_code == 429:
            raise RateLimitedError(carrier, "HTTP 429", code=429)
        if resp.status_code >= 500:
            kind = OutcomeUnknownError if mutating else UnavailableError
            raise kind(carrier, f"HTTP {resp.status_code}", code=resp.status_code)
        return HttpResponse(resp.status_code, resp.content, dict(resp.headers))

    async def aclose(self) -> None:
        await self._client.aclose()
