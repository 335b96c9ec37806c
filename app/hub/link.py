"""The counter PC's link to its hub (no Qt), built by the composition root.

When ``[hub] url`` and ``store_id`` are set and a device token is in the secret store
(``hub.device_token``; env override ``JUPEI_HUB__DEVICE_TOKEN``), ``start`` runs a
``HubClient`` that long-polls the store's inbox and hands every relayed platform push to
the source desk's ``handle_push`` — the one path a local push takes too. While the hub is
unreachable it waits with a growing pause (``retry_min_s`` doubling up to ``retry_max_s``,
with jitter so a chain's PCs do not knock in step after an outage); a revoked token stops
the loop. Its health goes out as ``SourceHealthChanged("hub", state, detail)`` (state
``starting | healthy | error``, the runner's ``HealthState`` values), published on change.

``join``/``leave`` are what ``python -m app hub-join`` does, for the settings dialog
(through ``AppService.join_hub``/``leave_hub``), on the core's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from app.core.events import SourceHealthChanged
from app.hub.client import DEVICE_TOKEN_SECRET, HubAuthError, HubClient, HubError, PushHandler
from app.hub.client import join as join_hub
from app.hub.upload import HubUploader

if TYPE_CHECKING:
    from app.core.config import Settings
    from app.core.events import EventBus

log = logging.getLogger(__name__)
HUB_SOURCE = "hub"  # the "source" name of the link's SourceHealthChanged events


class LinkService(Protocol):
    """What the link uses of ``AppService``."""

    settings: Settings
    bus: EventBus

    def _secret_get(self, name: str) -> str | None: ...

    def _secret_set(self, name: str, value: str) -> None: ...

    def _secret_delete(self, name: str) -> None: ...

    async def save_settings(self, new: Settings, actor: str = ...) -> None: ...

    @property
    def headoffice_version(self) -> int: ...

    async def apply_headoffice(self, version: int, doc: dict[str, Any]) -> bool: ...


@dataclass(frozen=True, slots=True)
class HubStatus:
    """What the settings page shows. ``state``: off (not joined) | no_token | starting |
    healthy | error."""

    joined: bool
    url: str
    store_id: str
    store_name: str
    state: str
    detail: str = ""
    delivered: int = 0  # relayed pushes handed on since this run started
    uploaded: int = 0  # store rows the hub took since this run started
    sync_error: str = ""  # the last upload failure ("" once one succeeded)
    settings_version: int = 0  # head-office settings applied on this PC (0: none)


class HubLink:
    def __init__(
        self,
        service: LinkService,
        handle_push: PushHandler,
        *,
        uploader: HubUploader | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        wait_s: float = 25.0,
        retry_min_s: float = 1.0,
        retry_max_s: float = 60.0,
        settings_every_s: float = 60.0,
    ) -> None:
        self.service = service
        self.handle_push = handle_push
        self.transport = transport
        self.wait_s = wait_s
        self.retry_min_s, self.retry_max_s = retry_min_s, retry_max_s
        self.store_name = ""  # known after a join in this run (the hub has it otherwise)
        self._client: HubClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._health: tuple[str, str] = ("off", "")
        self.uploader = uploader  # store → hub sync, runs beside the inbox
        self._upload_task: asyncio.Task[None] | None = None
        self.settings_every_s = settings_every_s  # head-office settings: asked this often
        self._settings_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ state
    def _link(self) -> tuple[str, str]:
        h = self.service.settings.hub
        return h.url.rstrip("/"), h.store_id

    def token(self) -> str:
        return self.service._secret_get(DEVICE_TOKEN_SECRET) or ""

    def status(self) -> HubStatus:
        url, store_id = self._link()
        state, detail = self._health
        if not (url and store_id):
            state, detail = "off", ""
        return HubStatus(
            joined=bool(url and store_id),
            url=url,
            store_id=store_id,
            store_name=self.store_name,
            state=state,
            detail=detail,
            delivered=self._client.delivered if self._client is not None else 0,
            uploaded=self.uploader.uploaded if self.uploader is not None else 0,
            sync_error=self.uploader.last_error if self.uploader is not None else "",
            settings_version=self.service.headoffice_version,
        )

    def _set_health(self, state: str, detail: str = "") -> None:
        if (state, detail) == self._health:
            return
        self._health = (state, detail)
        self.service.bus.publish(SourceHealthChanged(HUB_SOURCE, state, detail))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the inbox loop when this PC has joined a hub; otherwise nothing."""
        url, store_id = self._link()
        if not (url and store_id) or self.running:
            return
        token = await asyncio.to_thread(self.token)  # keyring: off the loop
        if not token:
            log.warning(
                "hub: joined %s but no device token in the secret store (hub.device_token) "
                "or JUPEI_HUB__DEVICE_TOKEN; not connecting",
                url,
            )
            self._set_health("no_token", "no device token")
            return
        self._client = HubClient(
            url, token, self.handle_push, wait_s=self.wait_s, transport=self.transport
        )
        self._set_health("starting")
        self._task = asyncio.create_task(self._run(self._client), name="hub-inbox")
        self._settings_task = asyncio.create_task(
            self._settings_loop(self._client), name="hub-settings"
        )
        if self.uploader is not None:
            await self.uploader.enable(store_id)  # first time: every row is queued
            self._upload_task = asyncio.create_task(
                self.uploader.run(url, token), name="hub-upload"
            )
        log.info("hub: linked to %s as store %s", url, store_id)

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._upload_task, self._settings_task) if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._task = self._upload_task = self._settings_task = None
        if self._client is not None:
            await self._client.aclose()
        self._client = None

    async def _run(self, client: HubClient) -> None:
        delay = self.retry_min_s
        wait: float | None = 0.0  # the first poll answers at once: health shows quickly
        while True:
            try:
                await client.poll_once(wait)
            except HubAuthError as e:
                log.warning("hub: device token refused (%s); join the hub again", e)
                self._set_health("error", f"device token refused: {e}")
                return
            except HubError as e:
                self._set_health("error", str(e))
            except Exception as e:  # the handler failed: the push comes again
                log.exception("hub: handing a relayed push on failed; retrying")
                self._set_health("error", f"handling a push failed: {type(e).__name__}")
            else:
                self._set_health("healthy")
                delay, wait = self.retry_min_s, None
                continue
            pause = delay * random.uniform(0.8, 1.2)
            log.info("hub: retrying in %.1fs", pause)
            await asyncio.sleep(pause)
            delay, wait = min(delay * 2, self.retry_max_s), 0.0

    async def fetch_settings(self, client: HubClient) -> bool:
        """Ask for head-office settings newer than the applied version; apply them."""
        got = await client.settings_after(self.service.headoffice_version)
        if got is None:
            return False
        version, doc = got
        return await self.service.apply_headoffice(version, doc)

    async def _settings_loop(self, client: HubClient) -> None:
        """At start, then every ``settings_every_s``. The hub unreachable: the PC keeps the
        version it applied last (persisted) and asks again next round."""
        while True:
            try:
                await self.fetch_settings(client)
            except HubAuthError:
                return  # the inbox loop reports it
            except HubError as e:
                log.info("hub: head-office settings not fetched: %s", e)
            await asyncio.sleep(self.settings_every_s * random.uniform(0.9, 1.1))

    # ------------------------------------------------------------------ join / leave
    async def join(self, url: str, code: str, device_name: str = "") -> HubStatus:
        """Exchange a one-time code for a device token (kept in the secret store), save
        ``[hub] url/store_id`` and connect. Raises ``HubError`` with the hub's reason."""
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise HubError("hub address must start with https:// (or http:// on a LAN)")
        joined = await join_hub(
            url, code.strip(), device_name or socket.gethostname(), transport=self.transport
        )
        await self.stop()
        await asyncio.to_thread(self.service._secret_set, DEVICE_TOKEN_SECRET, joined.token)
        s = self.service.settings
        new = s.model_copy(
            update={"hub": s.hub.model_copy(update={"url": url, "store_id": joined.store_id})}
        )
        await self.service.save_settings(new, "manager")
        self.store_name = joined.store_name
        log.info("hub: joined store %s as device %s", joined.store_id, joined.device_id)
        await self.start()
        return self.status()

    async def leave(self) -> HubStatus:
        """Disconnect and forget the hub on this PC (token out of the secret store, ``[hub]``
        cleared). The hub keeps the device until ``hub store revoke``."""
        await self.stop()
        if self.uploader is not None:
            await self.uploader.disable()  # stop capturing; drop what was not uploaded
        await asyncio.to_thread(self.service._secret_delete, DEVICE_TOKEN_SECRET)
        s = self.service.settings
        new = s.model_copy(update={"hub": s.hub.model_copy(update={"url": "", "store_id": ""})})
        await self.service.save_settings(new, "manager")
        self.store_name = ""
        self._set_health("off")
        return self.status()
