"""美团 MTOp (技术服务合作中心) connector, chosen with ``[sources.meituan] options.variant =
"mtop"`` and ``base_url = https://api-open-cater.meituan.com/``.

What the notes support: confirm and cancel (businessId 2), the rider-position sync
(``riderPosition``, businessId 2 or 16) and verified pushes with heartbeats. MTOp's order
field names, the detail reply and ``getUnConfirmedOrders`` params are not in the notes
[?], so reads and pulls raise ``SourceRejectedError`` until a test store settles them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import urlencode

from app.core.domain.source_order import SourceOrder
from app.core.sources.base import (
    PushEvent,
    PushKind,
    PushRequest,
    PushResult,
    SourceContext,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.kit import ConnectorBase, form_fields, heartbeat
from app.core.sources.meituan import codes, mtop
from app.core.sources.meituan.rules import RULES, MtWmOptions

NOT_RESEARCHED = "MTOp order fields and pull params are not in the notes [?]"


class MtopConnector(ConnectorBase[MtWmOptions]):
    id = "meituan"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, MtWmOptions.from_mapping(ctx.options))

    async def _call(self, path: str, biz: dict[str, Any], business_id: int) -> object:
        form = mtop.build_form(biz, self.creds, business_id, self.unix_s())
        resp = await self.send(
            self.base.rstrip("/") + "/" + path,
            content=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            mutating=True,
        )
        return mtop.unwrap(resp.body)

    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        fields = {**request.query, **(form_fields(request.body) if request.body else {})}
        poi, message = mtop.parse_push_fields(fields, self.creds["sign_key"])
        if not poi:
            return heartbeat(mtop.OK_REPLY)
        oid = str(message.get("orderId") or message.get("order_id") or "")
        # ASSUMED: no message id; order id + kind + timestamp dedupes repeats
        key = f"{oid}:{kind}:{fields.get('timestamp', '')}"
        event = PushEvent(PushKind.OTHER, key, oid, raw_type=kind, raw=dict(message))
        return PushResult((event,), 200, mtop.OK_REPLY)

    async def get_order(self, source_order_id: str) -> SourceOrder:
        raise SourceRejectedError(self.id, NOT_RESEARCHED)

    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        raise SourceRejectedError(self.id, NOT_RESEARCHED)

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        raise SourceRejectedError(self.id, NOT_RESEARCHED)

    async def confirm(self, source_order_id: str) -> None:
        await self._call(mtop.CONFIRM, {"orderId": int(source_order_id)}, 2)

    async def reject(self, source_order_id: str, reason: str) -> None:
        biz = {
            "orderId": int(source_order_id),
            "reasonCode": codes.MERCHANT_CANCEL_DEFAULT,
            "reason": reason,
        }
        await self._call(mtop.CANCEL, biz, 2)

    async def sync_back(self, change: SyncBack) -> None:
        if change.status not in codes.SYNC_STATUS or change.lat is None:
            return  # riderPosition needs a status it knows and a point
        bid = self.opts.mtop_business_id
        biz = mtop.rider_position_biz(change, self.unix_s())
        await self._call(mtop.RIDER_POSITION[bid], biz, bid)
