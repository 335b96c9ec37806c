"""客如云 connector: thin I/O around ``mapping`` and ``push``.

What the 三方配送 scheme gives (shared/sources/keruyun.md §4): delivery requests and
cancels arrive as pushes; JuPei reports each change of the delivery with
``/open/v1/delivery/status/push``. There is no pull of delivery requests and no
documented order read, so ``pull`` and ``refresh`` find nothing (ASSUMED [~ §5]: a
request 客如云 could not deliver is re-sent from the POS) and ``confirm`` has nothing
to say (the merchant already chose to deliver by sending the request).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any

from app.core.domain.source_order import SourceOrder
from app.core.sources.base import (
    PushRequest,
    PushResult,
    SourceContext,
    SourceNotFoundError,
    SyncBack,
)
from app.core.sources.keruyun import mapping, push
from app.core.sources.keruyun.rules import RULES, KeruyunOptions
from app.core.sources.kit import ConnectorBase

log = logging.getLogger(__name__)


class Connector(ConnectorBase[KeruyunOptions]):
    id = "keruyun"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, KeruyunOptions.from_mapping(ctx.options))

    async def call(self, path: str, business: dict[str, object], *, mutating: bool) -> Any:
        wire = mapping.build_request(self.base, path, business, self.creds, self.opts, self.now())
        return mapping.unwrap(await self.exchange(wire, mutating=mutating))

    # ------------------------------------------------------------------ pushes
    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        return push.parse(kind, request, self.creds, self.opts, self.now())

    # ------------------------------------------------------------------ reads
    async def get_order(self, source_order_id: str) -> SourceOrder:
        # ASSUMED [? §5]: 查询订单详情 exists but its fields are unknown; a delivery
        # request only ever arrives by push
        raise SourceNotFoundError(self.id, f"no readable delivery request {source_order_id}")

    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        return []  # no pull of delivery requests [~ §5]

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        return []  # cancels arrive by push only [~ §5]

    async def probe(self) -> tuple[str, str]:
        """Test connection: 客如云's signature test call (ASSUMED ``/open/v1/signTest``:
        the signing doc shows it; it answers code 0 when appKey, store and token fit)."""
        await self.call(mapping.SIGN_TEST_PATH, {"aaa": 1}, mutating=False)
        return (
            "连接成功：客如云签名校验通过（配送单由客如云推送，请在商户后台开通本配送服务）",
            "Connected: Keruyun accepted the signature (delivery orders are pushed by Keruyun; "
            "enable this delivery service in the merchant back office)",
        )

    # ------------------------------------------------------------------ actions
    async def confirm(self, source_order_id: str) -> None:
        """Delivery requests arrive confirmed; nothing to tell 客如云."""

    async def reject(self, source_order_id: str, reason: str) -> None:
        body = mapping.reject_body(source_order_id, reason, self.opts)
        await self.call(mapping.STATUS_PUSH_PATH, body, mutating=True)

    async def sync_back(self, change: SyncBack) -> None:
        body = mapping.status_body(change, self.opts)
        if body is None:
            log.debug("keruyun: nothing to report for %s", change.status)
            return
        await self.call(mapping.STATUS_PUSH_PATH, body, mutating=True)
