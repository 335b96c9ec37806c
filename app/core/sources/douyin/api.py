"""抖音来客 connector: thin I/O around ``mapping`` and ``push``.

Orders arrive by webhook only (no order query or pull is built: the notes did not
research them). ``confirm`` reports 101 商家接单 and ``reject`` 102; ``sync_back`` reports
200 → 201 → 202 → 203 → 500 in order ("请按顺序推送") with ``rider_info`` for 201–203,
and never a cancel (Douyin has no cancel sync). The ``access-token`` is a client token
(ASSUMED flow), renewed before it expires and once after an auth refusal.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from app.core.domain.source_order import SourceOrder
from app.core.sources.base import (
    PushRequest,
    PushResult,
    SourceAuthError,
    SourceContext,
    SourceNotFoundError,
    SyncBack,
)
from app.core.sources.douyin import codes, mapping, push
from app.core.sources.douyin.rules import RULES, DouyinOptions
from app.core.sources.kit import AccessToken, ConnectorBase, dumps_compact, int_or_none

FULFIL_PATH = "api/waimai/v1/fulfillment/update_fulfill_status/"  # [✓ DY5]
TOKEN_MARGIN = timedelta(minutes=5)


class Connector(ConnectorBase[DouyinOptions]):
    id = "douyin"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, DouyinOptions.from_mapping(ctx.options))
        self.url = ctx.base_url.rstrip("/") + "/"
        self.token = AccessToken(self._new_token, self.now, TOKEN_MARGIN)
        # the highest fulfil status Douyin acknowledged per order (this run)
        self.sent: dict[str, int] = {}

    # ------------------------------------------------------------------ pushes
    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        return push.parse(kind, request, self.creds, self.opts, self.now())

    # ------------------------------------------------------------------ token
    async def refresh_token(self) -> str:
        return await self.token.get(renew=True)

    async def _new_token(self) -> tuple[str, datetime]:
        resp = await self.send(
            self.url + self.opts.token_path,
            content=mapping.token_body(self.creds["client_key"], self.creds["client_secret"]),
            content_type="application/json",
            mutating=False,
        )
        data = mapping.unwrap(resp.body)
        if not data.get("access_token"):
            raise SourceAuthError(self.id, "no access_token in the client_token answer")
        ttl = int_or_none(data.get("expires_in")) or 7200
        return str(data["access_token"]), self.now() + timedelta(seconds=ttl)

    async def _post(self, path: str, body: dict[str, Any]) -> Any:
        """One mutating call; an auth refusal renews the token once and tries again."""

        async def post(token: str) -> Any:
            headers = {"access-token": token}
            if self.creds.get("account_id"):
                headers["Rpc-Transit-Life-Account"] = self.creds["account_id"]
            resp = await self.send(
                self.url + path,
                content=dumps_compact(body).encode(),
                content_type="application/json",
                headers=headers,
                mutating=True,
            )
            return mapping.unwrap(resp.body)

        return await self.token.retry_once(post)

    async def _fulfil(
        self, oid: str, status: int, change: SyncBack | None = None, reason: str = ""
    ) -> None:
        at = change.at if change is not None and change.at is not None else self.now()
        body = mapping.fulfil_body(self.creds, oid, status, at, self.opts, change, reason)
        await self._post(FULFIL_PATH, body)
        self.sent[oid] = max(self.sent.get(oid, 0), status)

    async def probe(self) -> tuple[str, str]:
        """ "Test connection": one authenticated call (a fresh access token)."""
        await self.token.get(renew=True)
        return ("连接成功：已取得访问令牌", "Connected: access token obtained")

    # ------------------------------------------------------------------ reads
    async def get_order(self, source_order_id: str) -> SourceOrder:
        """No order query is built (not researched): an order that did not come by
        ``pay_success`` is unknown here, so a message about it is passed over (answered
        ok: a 5xx would only make Douyin retry 3 times and risk the subscription)."""
        raise SourceNotFoundError(
            self.id, f"no 抖音 order query is built; order {source_order_id} comes by webhook"
        )

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        return []  # no order query built (see rules.unverified)

    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        return []  # webhooks only; Douyin retries 3 times

    # ------------------------------------------------------------------ actions
    async def confirm(self, source_order_id: str) -> None:
        await self._fulfil(source_order_id, codes.MERCHANT_ACCEPTED)  # ASSUMED [~]

    async def reject(self, source_order_id: str, reason: str) -> None:
        await self._fulfil(source_order_id, codes.MERCHANT_REJECTED, reason=reason)

    async def sync_back(self, change: SyncBack) -> None:
        status = codes.FULFIL.get(change.status)
        if status is None:
            return  # at drop-off has no code; a cancelled attempt is never reported
        oid = change.source_order_id
        last = self.sent.get(oid, 0)
        if status == last and not self.opts.position_repeats:
            return  # a rider-position repeat: Douyin has no position call (ASSUMED)
        if (
            self.opts.send_wait_rider  # ASSUMED [~]: 200 before the first 201
            and status == codes.RIDER_ACCEPTED
            and last < codes.WAIT_RIDER
        ):
            await self._fulfil(oid, codes.WAIT_RIDER, change)
        await self._fulfil(oid, status, change)
