"""One shared httpx client for all carriers, with the error mapping adapters rely on.

The mapping is shared with the order sources (``app.core.httpcall``): a request that
never reached the carrier (connect error, connect timeout) is ``UnavailableError``; one
that may have reached it (read timeout, broken response, 5xx) is ``OutcomeUnknownError``
when the call mutates and ``UnavailableError`` when it only reads. 429 is
``RateLimitedError``. No httpx exception escapes.
"""

from __future__ import annotations

import httpx

from app.core.carriers.base import OutcomeUnknownError, RateLimitedError, UnavailableError
from app.core.httpcall import ErrorKinds, HttpResponse, new_client, send

__all__ = ["CarrierHttp", "HttpResponse"]

CARRIER_ERRORS = ErrorKinds(
    unavailable=UnavailableError,
    outcome_unknown=OutcomeUnknownError,
    rate_limited=RateLimitedError,
)


class CarrierHttp:
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
        self.request_count += 1
        return await send(
            self._client,
            CARRIER_ERRORS,
            carrier,
            "POST",
            url,
            content=content,
            headers={"Content-Type": content_type, **(headers or {})},
            params=params,
            mutating=mutating,
            timeout_s=timeout_s,
        )

    async def call(
        self,
        carrier: str,
        method: str,
        url: str,
        *,
        content: bytes | None,
        content_type: str,
        headers: dict[str, str] | None = None,
        mutating: bool,
    ) -> HttpResponse:
        """Any verb (REST gateways: GET/PATCH/PUT as well as POST), same error mapping."""
        self.request_count += 1
        return await send(
            self._client,
            CARRIER_ERRORS,
            carrier,
            method,
            url,
            content=content,
            headers={"Content-Type": content_type, **(headers or {})},
            params=None,
            mutating=mutating,
            timeout_s=None,
        )

    async def aclose(self) -> None:
        await self._client.aclose()
