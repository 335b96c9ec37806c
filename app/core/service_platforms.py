"""The platforms' side of ``AppService``: the chain hub link (设置 → 总部), the order
sources' settings page, the platform orders on the board (接单, 拒单, 转自配送) and the
status sync-back to the platforms. A mixin of the one door, so the UI still reaches all
of it through ``AppService`` (and ``ServiceProxy``); it owns no rules of its own."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from app.core.sources import console
from app.core.sources.console import SourceCheck, SourceFacts

if TYPE_CHECKING:
    from app.core.clock import Clock
    from app.core.config import Settings
    from app.core.domain.source_order import SourceOrder
    from app.core.sources.desk import SourceDesk
    from app.core.sources.runner import SourceHealth
    from app.core.sources.syncback import SyncBackWorker
    from app.core.storage.syncback_repo import Backlog
    from app.hub.link import HubLink, HubStatus


class PlatformsDoor:
    """What it uses of the service (set by ``AppService`` and ``build_core``)."""

    settings: Settings
    clock: Clock
    sources: SourceDesk | None
    syncback: SyncBackWorker | None
    hub: HubLink | None
    _eleme_state: str

    if TYPE_CHECKING:

        def _secret_get(self, name: str) -> str | None: ...

        def _secret_set(self, name: str, value: str) -> None: ...

        async def audit(self, actor: str, action: str, detail: dict[str, Any]) -> None: ...

    # --- the chain hub (settings dialog: 总部); see app.hub.link
    def _hub(self) -> HubLink:
        if self.hub is None:
            raise RuntimeError("the hub link is bound by build_core")
        return self.hub

    def hub_status(self) -> HubStatus:
        return self._hub().status()

    async def join_hub(self, *, url: str, code: str, device_name: str = "") -> HubStatus:
        """``hub-join`` from the settings dialog: raises ``HubError`` with the reason."""
        status = await self._hub().join(url, code, device_name)
        await self.audit("manager", "hub_joined", {"url": status.url, "store": status.store_id})
        return status

    async def leave_hub(self) -> HubStatus:
        old = self.settings.hub.url
        status = await self._hub().leave()
        await self.audit("manager", "hub_left", {"url": old})
        return status

    # --- sources: settings (the dialog's page; see app.core.sources.console)
    def source_facts(self) -> dict[str, SourceFacts]:
        return console.source_facts()

    def set_source_secret(self, source_id: str, key: str, value: str) -> None:
        """Keyring, then the source runs with it (its connector is rebuilt as after a
        settings save: the 饿了么 code exchange saves tokens without one). Any thread."""
        self._secret_set(console.secret_name(source_id, key), value)
        if self.sources is not None:
            self.sources.secret_changed(source_id)

    def source_secret_present(self, source_id: str, key: str) -> bool:
        return bool(self._secret_get(console.secret_name(source_id, key)))

    async def test_source(
        self, source_id: str, settings: Settings, *, typed: dict[str, str] | None = None
    ) -> SourceCheck:
        """One cheap authenticated call with ``settings`` (maybe unsaved) and the secrets
        ``typed`` but not saved yet (``{key: value}``); a message, never a raise."""
        names = {console.secret_name(source_id, k): v for k, v in (typed or {}).items() if v}
        over = console.OverlaySecrets(names, self._secret_get)
        return await console.check_connection(source_id, settings, over, self.clock)

    def eleme_authorize_url(self, settings: Settings | None = None) -> str:
        """The 饿了么 page the merchant opens (raises ``ValueError`` without app_key)."""
        url, self._eleme_state = console.eleme_authorize(settings or self.settings)
        return url

    async def eleme_exchange_code(
        self, code: str, settings: Settings | None = None, *, typed: dict[str, str] | None = None
    ) -> SourceCheck:
        """Exchange the pasted code (or callback address) for tokens kept in the keyring."""
        names = {console.secret_name("eleme", k): v for k, v in (typed or {}).items() if v}
        over = console.OverlaySecrets(names, self._secret_get)

        async def save(key: str, value: str) -> None:
            await asyncio.to_thread(self.set_source_secret, "eleme", key, value)

        out = await console.eleme_exchange(
            code, settings or self.settings, over, save, expected_state=self._eleme_state
        )
        if out.ok:
            await self.audit("manager", "eleme_authorised", {})
        return out

    # ------------------------------------------------------------------ order sources
    # (美团外卖, 饿了么: app.core.sources.desk; a source that is off has no health entry)
    def source_health(self) -> list[SourceHealth]:
        """Per-source health for the board: state, last push, last pull, error."""
        return [] if self.sources is None else self.sources.health()

    def _desk(self) -> SourceDesk:
        if self.sources is None:
            raise KeyError("order sources are not built (build_core builds them)")
        return self.sources

    async def source_order(self, order_id: int) -> SourceOrder | None:
        """The platform order behind a board order (detail pane), or None."""
        return None if self.sources is None else await self.sources.order_for(order_id)

    def source_stalled(self, order_id: int) -> bool:
        """The platform's own delivery found no rider in time: offer 转自配送."""
        return self.sources is not None and self.sources.is_stalled(order_id)

    async def confirm_source_order(self, order_id: int, *, actor: str = "cashier") -> None:
        """接单 on the platform; raises ``SourceError`` when the platform refuses."""
        await self._desk().confirm(order_id, actor=actor)

    async def reject_source_order(
        self, order_id: int, *, reason: str, actor: str = "cashier"
    ) -> None:
        """拒单 on the platform with ``reason``; the board order is cancelled."""
        await self._desk().reject(order_id, reason, actor=actor)

    async def convert_to_self_delivery(self, order_id: int, *, actor: str = "cashier") -> None:
        """转自配送 for a stalled platform delivery; then quoted and dispatched by JuPei."""
        await self._desk().convert_to_self_delivery(order_id, actor=actor)

    # --- status sync-back to the platforms (app.core.sources.syncback)
    def _syncback(self) -> SyncBackWorker:
        if self.syncback is None:
            raise KeyError("the sync-back worker is not built (build_core builds it)")
        return self.syncback

    async def resend_sync_back(self, order_id: int, *, actor: str = "cashier") -> int:
        """Send the order's status syncs the platform refused (parked) again now, once the
        cause is fixed on the platform; how many. Refused states the platform has since
        heard a later state for are closed instead (never sent out of order)."""
        return await self._syncback().resend(order_id, actor=actor)

    async def sync_back_state(self, order_id: int) -> Backlog:
        """The order's own ``(pending, parked)`` status syncs: parked ones are what the
        detail pane offers to send again (``resend_sync_back``)."""
        if self.syncback is None:
            from app.core.storage import syncback_repo  # typing-only import above

            return syncback_repo.Backlog(0, 0)
        return await self.syncback.order_backlog(order_id)

    async def sync_back_backlog(self) -> dict[str, Backlog]:
        """Per source ``(pending, parked)``: status changes the platform has not
        acknowledged yet, and those it refused for good (source health)."""
        return {} if self.syncback is None else await self.syncback.backlog()
