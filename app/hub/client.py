"""The counter PC's side of the hub (no Qt): enrol with a one-time code, then long-poll
the store's inbox and hand every relayed platform push to ``handle_push(source, kind,
PushRequest)`` — the same code path a push to the local listener takes — acknowledging
by cursor only after the handler returned. A handler failure or a lost hub keeps the
cursor where it was: the push comes again (the handler dedupes by the platform's key).

The device token lives in the secret store as ``hub.device_token`` (env override
``JUPEI_HUB__DEVICE_TOKEN`` for headless PCs); the hub keeps only its hash.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from app.core.sources.base import PushRequest
from app.hub.pushes import request_from_json

log = logging.getLogger(__name__)

DEVICE_TOKEN_SECRET = "hub.device_token"
# desk's ``handle_push`` returns its ``PushReply``; see ``_check_reply``
PushHandler = Callable[[str, str, PushRequest], Awaitable[object]]


class HubError(Exception):
    """The hub refused or could not be reached; the message says which."""


class HubAuthError(HubError):
    """Token unknown or revoked (401), or another store's data asked for (403)."""


@dataclass(frozen=True, slots=True)
class Joined:
    store_id: str
    store_name: str
    device_id: str
    token: str


async def join(
    url: str, code: str, device_name: str, *, transport: httpx.AsyncBaseTransport | None = None
) -> Joined:
    async with httpx.AsyncClient(timeout=15, transport=transport, trust_env=False) as http:
        try:
            resp = await http.post(
                url.rstrip("/") + "/hub/v1/enrol", json={"code": code, "device_name": device_name}
            )
        except httpx.HTTPError as e:
            raise HubError(f"hub not reached at {url}: {type(e).__name__}") from None
    if resp.status_code != 200:
        raise HubError(f"enrolment refused (HTTP {resp.status_code}): {_error(resp)}")
    doc = resp.json()
    return Joined(doc["store_id"], doc["store_name"], doc["device_id"], doc["token"])


def _error(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("error", ""))
    except ValueError:
        return resp.text[:200]


class HandlerRetry(Exception):
    """The handler answered 5xx (its store or a platform read failed): try again later."""


def _check_reply(result: object, source: str, kind: str, cursor: int) -> None:
    """The handler may return the reply it would give the platform (``PushReply``): a 5xx
    means "not applied, retry"; a 4xx is a refusal a repeat cannot cure (the source is off
    on this PC, or its ``push_base_url``/secret do not match the hub's), so it is logged
    and passed over — the push stays on the hub."""
    status = getattr(result, "status", None)
    if not isinstance(status, int) or status < 400:
        return
    if status >= 500:
        raise HandlerRetry(f"{source}/{kind} push at cursor {cursor}: HTTP {status}")
    log.warning(
        "hub: this PC refused the relayed %s/%s push at cursor %d (HTTP %d); check "
        "[sources.%s] (mode, push_base_url = the hub's address, app secret)",
        source,
        kind,
        cursor,
        status,
        source,
    )


class HubClient:
    def __init__(
        self,
        url: str,
        token: str,
        handle_push: PushHandler,
        *,
        wait_s: float = 25.0,
        retry_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.handle_push = handle_push
        self.wait_s, self.retry_s = wait_s, retry_s
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(wait_s + 15, connect=5),
            transport=transport,
            trust_env=False,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "JuPei/0.1"},
        )
        self.cursor: int | None = None  # None: resume from what the hub has acknowledged
        self.delivered = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _get(self, path: str, **params: Any) -> dict[str, Any]:
        try:
            resp = await self._http.get(self.url + path, params=params)
        except httpx.HTTPError as e:
            raise HubError(f"hub not reached: {type(e).__name__}") from None
        return self._json(resp)

    def _json(self, resp: httpx.Response) -> dict[str, Any]:
        if resp.status_code in (401, 403):
            raise HubAuthError(f"HTTP {resp.status_code}: {_error(resp)}")
        if resp.status_code != 200:
            raise HubError(f"HTTP {resp.status_code}: {_error(resp)}")
        doc = resp.json()
        if not isinstance(doc, dict):
            raise HubError("hub answered something other than a JSON object")
        return doc

    async def poll_once(self, wait_s: float | None = None) -> int:
        """One long-poll: hand every push on, then acknowledge. Returns how many."""
        params: dict[str, Any] = {"wait": self.wait_s if wait_s is None else wait_s}
        if self.cursor is not None:
            params["after"] = self.cursor
        doc = await self._get("/hub/v1/inbox", **params)
        items = doc.get("pushes") or []
        for item in items:
            source, kind, cursor = str(item["source"]), str(item["kind"]), int(item["cursor"])
            result = await self.handle_push(source, kind, request_from_json(item["request"]))
            _check_reply(result, source, kind, cursor)
            self.cursor = cursor
            self.delivered += 1
        if items:
            await self._ack(int(doc["cursor"]))
        elif self.cursor is None:
            self.cursor = int(doc["cursor"])
        return len(items)

    async def settings_after(self, version: int) -> tuple[int, dict[str, Any]] | None:
        """Head-office settings newer than ``version``: ``(version, document)``, or None."""
        try:
            resp = await self._http.get(
                self.url + "/hub/v1/settings", params={"after": version}, timeout=15
            )
        except httpx.HTTPError as e:
            raise HubError(f"hub not reached: {type(e).__name__}") from None
        if resp.status_code == 204:
            return None
        doc = self._json(resp)
        settings = doc.get("settings")
        if not isinstance(settings, dict):
            raise HubError("hub settings answer without a settings object")
        return int(doc["version"]), settings

    async def _ack(self, cursor: int) -> None:
        try:
            resp = await self._http.post(self.url + "/hub/v1/inbox/ack", json={"cursor": cursor})
        except httpx.HTTPError as e:
            raise HubError(f"ack not delivered: {type(e).__name__}") from None
        self._json(resp)

    async def run(self) -> None:
        """Long-poll until cancelled. A revoked token stops the loop (HubAuthError); other
        failures wait ``retry_s`` and try again."""
        while True:
            try:
                await self.poll_once()
            except HubAuthError:
                raise
            except HubError as e:
                log.info("hub: %s; retrying in %.0fs", e, self.retry_s)
                await asyncio.sleep(self.retry_s)
            except Exception:  # the handler failed: keep the cursor, try the push again
                log.exception("hub: handing a relayed push on failed; retrying")
                await asyncio.sleep(self.retry_s)
