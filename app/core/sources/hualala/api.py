"""哗啦啦 connector: thin I/O around ``mapping``. Pull only (no public push): today's
orders (and yesterday's just after midnight) page by page, one order by ``orderKey``,
接单/拒单 and the delivery status with the rider through ``/order/updateOrderStatus``.
Every document shape here is ASSUMED until the merchant's account manager confirms it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any

from app.core.clock import LOCAL_TZ
from app.core.domain.source_order import SourceOrder
from app.core.sources.base import (
    PushRequest,
    PushResult,
    SourceContext,
    SourceNotFoundError,
    SyncBack,
)
from app.core.sources.hualala import mapping, push
from app.core.sources.hualala.rules import RULES, HualalaOptions
from app.core.sources.kit import ConnectorBase, local_date

log = logging.getLogger(__name__)


class Connector(ConnectorBase[HualalaOptions]):
    id = "hualala"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, HualalaOptions.from_mapping(ctx.options))

    async def call(self, path: str, business: dict[str, object], *, mutating: bool) -> Any:
        wire = mapping.build_request(self.base, path, business, self.creds, self.now())
        return mapping.unwrap(await self.exchange(wire, mutating=mutating), self.opts)

    # ------------------------------------------------------------------ pushes
    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        return push.parse(kind, request)

    # ------------------------------------------------------------------ reads
    async def get_order(self, source_order_id: str) -> SourceOrder:
        body = mapping.detail_body(self.creds, source_order_id)
        docs = mapping.order_docs(await self.call(mapping.QUERY_ORDER, body, mutating=False))
        if not docs:
            raise SourceNotFoundError(self.id, f"no order {source_order_id}")
        return mapping.parse_order(docs[0], self.opts)

    async def orders_of(self, day: date) -> list[SourceOrder]:
        out: list[SourceOrder] = []
        for page in range(1, self.opts.max_pages + 1):
            body = mapping.list_body(self.creds, day, page, self.opts)
            docs = mapping.order_docs(await self.call(mapping.QUERY_ORDER, body, mutating=False))
            out += [mapping.parse_order(d, self.opts) for d in docs]
            if len(docs) < self.opts.page_size:
                break
        return out

    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        """Every order of today (the list carries each one's state, so a cancel of a known
        order is seen here too); before ``yesterday_until_hour`` also yesterday's."""
        now = self.now()
        today = local_date(now)
        out: list[SourceOrder] = []
        if now.astimezone(LOCAL_TZ).hour < self.opts.yesterday_until_hour:
            out += await self.orders_of(today - timedelta(days=1))
        return out + await self.orders_of(today)

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        return await self.read_each(source_order_ids)

    async def probe(self) -> tuple[str, str]:
        """Test connection: today's first page of orders."""
        n = len(await self.orders_of(local_date(self.now())))
        return (
            f"连接成功：今日订单 {n} 个（哗啦啦的接口细节待客户经理确认）",
            f"Connected: {n} orders today (Hualala's API details await the account manager)",
        )

    # ------------------------------------------------------------------ actions
    async def confirm(self, source_order_id: str) -> None:
        body = mapping.confirm_body(self.creds, source_order_id, self.opts, self.now())
        await self.call(mapping.UPDATE_STATUS, body, mutating=True)

    async def reject(self, source_order_id: str, reason: str) -> None:
        body = mapping.reject_body(self.creds, source_order_id, reason, self.opts)
        await self.call(mapping.UPDATE_STATUS, body, mutating=True)

    async def sync_back(self, change: SyncBack) -> None:
        body = mapping.status_body(change, self.creds, self.opts)
        if body is None:
            log.debug("hualala: nothing to report for %s", change.status)
            return
        await self.call(mapping.UPDATE_STATUS, body, mutating=True)
