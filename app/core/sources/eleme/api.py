"""饿了么 napos connector: thin I/O around ``mapping`` and ``push``.

Pull ("推拉结合" is mandatory): failed pushes (``eleme.msgNew.getPushFailMsg``, app-level,
empty token; confirmed with ``confirmPullMsg``), then the unprocessed, cancel and refund
lists of this shop. An expired token surfaces as ``SourceAuthError``; ``refresh_token``
renews it, keeps the new pair on the connector and hands it to ``tokens.keep`` (the
secret store, so it survives a restart).
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import urlencode

from app.core.domain.source_order import SourceOrder
from app.core.sources import tokens
from app.core.sources.base import (
    PushKind,
    PushRequest,
    PushResult,
    SourceAuthError,
    SourceContext,
    SourceNotFoundError,
    SourceUnavailableError,
    SyncBack,
)
from app.core.sources.eleme import mapping, push
from app.core.sources.eleme.rules import RULES, ElemeOptions
from app.core.sources.kit import ConnectorBase, as_dict

REFRESH_BATCH = 50  # ASSUMED: mgetOrders batch limit is not documented


class Connector(ConnectorBase[ElemeOptions]):
    id = "eleme"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, ElemeOptions.from_mapping(ctx.options))
        self._refreshing = asyncio.Lock()
        self._refreshed: tuple[str, str, int] | None = None  # the last refresh's answer
        self.shop_id = self.creds.get("shop_id", "")

    def _request_id(self) -> str:
        ms = int(self.now().timestamp() * 1000)
        return f"{uuid.uuid4().hex.upper()}|{ms}"

    async def call(
        self, action: str, params: dict[str, Any], *, mutating: bool, token: str | None = None
    ) -> Any:
        body = mapping.build_request(
            action, params, self.creds, self.unix_s(), self._request_id(), token=token
        )
        resp = await self.send(
            self.base,
            content=body,
            content_type="application/json; charset=utf-8",
            mutating=mutating,
        )
        return mapping.unwrap(resp.body)

    # ------------------------------------------------------------------ pushes
    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        return push.parse(kind, request, self.creds, self.opts)

    # ------------------------------------------------------------------ reads
    async def get_order(self, source_order_id: str) -> SourceOrder:
        data = await self.call("eleme.order.getOrder", {"orderId": source_order_id}, mutating=False)
        if not isinstance(data, dict):
            raise SourceNotFoundError(self.id, f"no order {source_order_id}")
        return mapping.parse_order(data, self.opts)

    async def mget_orders(self, ids: Collection[str]) -> list[SourceOrder]:
        if not ids:
            return []
        data = await self.call("eleme.order.mgetOrders", {"orderIds": list(ids)}, mutating=False)
        docs = data.values() if isinstance(data, dict) else data or []
        return [mapping.parse_order(d, self.opts) for d in docs if isinstance(d, dict)]

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        """``mgetOrders`` in batches (ASSUMED: batch limit ``refresh_batch``)."""
        out: list[SourceOrder] = []
        ids = list(source_order_ids)
        for i in range(0, len(ids), REFRESH_BATCH):
            batch = ids[i : i + REFRESH_BATCH]
            try:
                out += await self.mget_orders(batch)
            except SourceNotFoundError:
                # ASSUMED [?]: how mgetOrders answers for an id it no longer knows is not
                # documented; one unknown id must not stop the re-read of the others
                out += await self.read_each(batch)
        return out

    async def _order_list(self, action: str) -> list[SourceOrder]:
        data = await self.call(action, {"shopId": int(self.shop_id)}, mutating=False)
        docs = data if isinstance(data, list) else as_dict(data).get("list") or []
        return [mapping.parse_order(d, self.opts) for d in docs if isinstance(d, dict)]

    # ------------------------------------------------------------------ pull
    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        """Everything pushes may have missed; later entries are fresher copies."""
        out = await self._failed_messages(known)
        for action in (
            "eleme.order.getUnprocessOrders",
            "eleme.order.getCancelOrders",
            "eleme.order.getRefundOrders",
        ):
            out += await self._order_list(action)
        return out

    async def _failed_messages(self, known: Collection[str]) -> list[SourceOrder]:
        # ASSUMED: params and answer shape of getPushFailMsg / confirmPullMsg (§9)
        data = await self.call("eleme.msgNew.getPushFailMsg", {}, mutating=False, token="")
        msgs = data if isinstance(data, list) else as_dict(data).get("list") or []
        orders: list[SourceOrder] = []
        refetch: list[str] = []
        ids: list[str] = []
        for m in (as_dict(x) for x in msgs):
            ev = push.message_event(m, self.opts)
            ids.append(ev.dedupe_key)
            if ev.kind is PushKind.ORDER and ev.order is not None:
                orders.append(ev.order)
            elif ev.source_order_id and ev.source_order_id not in refetch:
                refetch.append(ev.source_order_id)  # state changes: read the fresh order
        orders += await self.mget_orders(refetch)
        if ids:
            await self.call("eleme.msgNew.confirmPullMsg", {"msgIds": ids}, mutating=True, token="")
        return orders

    # ------------------------------------------------------------------ actions
    async def confirm(self, source_order_id: str) -> None:
        await self.call("eleme.order.confirmOrderLite", {"orderId": source_order_id}, mutating=True)

    async def reject(self, source_order_id: str, reason: str) -> None:
        params = {"orderId": source_order_id, "type": self.opts.cancel_type, "remark": reason}
        await self.call("eleme.order.cancelOrderLite", params, mutating=True)

    async def switch_to_self_delivery(self, source_order_id: str) -> None:
        # ASSUMED: deliveryBySelfLite after the platform's logistics stalled (§6 [~])
        await self.call(
            "eleme.order.deliveryBySelfLite", {"orderId": source_order_id}, mutating=True
        )

    async def sync_back(self, change: SyncBack) -> None:
        for c in mapping.sync_calls(change, self.shop_id, self.opts):
            await self.call(c.action, c.params, mutating=True)

    async def sync_position(self, change: SyncBack) -> None:
        c = mapping.location_call(change, self.shop_id)
        await self.call(c.action, c.params, mutating=True)

    # ------------------------------------------------------------------ tokens
    def _token_url(self) -> str:
        root = self.base.split("/api/", 1)[0]
        return root.rstrip("/") + "/token"

    async def refresh_token(self) -> tuple[str, str, int]:
        """New ``(access_token, refresh_token, expires_in)``; ASSUMED endpoint shape.
        Callers that met the expired token at the same time (a catch-up pull and a
        sync-back) share one refresh: the platform rotates the refresh token, so a second
        refresh with the old one would be refused."""
        stale = self.creds.get("access_token", "")
        async with self._refreshing:
            if self._refreshed is not None and self.creds.get("access_token", "") != stale:
                return self._refreshed  # refreshed while this caller waited
            self._refreshed = await self._refresh()
            return self._refreshed

    async def _refresh(self) -> tuple[str, str, int]:
        basic = base64.b64encode(f"{self.creds['app_key']}:{self.creds['app_secret']}".encode())
        form = {"grant_type": "refresh_token", "refresh_token": self.creds.get("refresh_token", "")}
        resp = await self.send(
            self._token_url(),
            content=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            headers={"Authorization": "Basic " + basic.decode()},
            mutating=True,
        )
        try:
            doc = as_dict(json.loads(resp.body.decode("utf-8") or "{}"))
        except (UnicodeDecodeError, ValueError):
            # a proxy's error page or a cut answer: the old token may still be good and
            # the refresh is tried again later (a sync-back waiting on it is not parked)
            raise SourceUnavailableError(self.id, "token answer is not JSON") from None
        if not doc.get("access_token"):
            raise SourceAuthError(self.id, str(doc.get("error") or "refresh refused"))
        self.creds["access_token"] = str(doc["access_token"])
        self.creds["refresh_token"] = str(doc.get("refresh_token") or self.creds["refresh_token"])
        await tokens.keep(
            self.ctx,
            {
                "access_token": self.creds["access_token"],
                "refresh_token": self.creds["refresh_token"],
            },
        )
        return (
            self.creds["access_token"],
            self.creds["refresh_token"],
            int(doc.get("expires_in") or 0),
        )
