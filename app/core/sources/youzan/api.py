"""有赞 connector: thin I/O around ``mapping`` and ``push``.

Orders arrive by push (the trade messages); an order a push does not carry is read
with ``youzan.trade.get`` (ASSUMED gateway path and shape). There is no list of missed
pushes (有赞 re-pushes 4 times over ~2.5 h instead): ``pull`` returns nothing and the
catch-up re-reads the open orders. 有赞 has no accept step (a paid trade is the
merchant's), no reject call and no public self-delivery write-back: ``confirm`` does
nothing, ``reject`` is refused and ``RULES.syncs_back`` is False.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from app.core.clock import from_unix
from app.core.domain.source_order import SourceOrder
from app.core.sources.base import (
    PushRequest,
    PushResult,
    SourceAuthError,
    SourceContext,
    SourceNotFoundError,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.kit import AccessToken, ConnectorBase, as_dict, int_or_none
from app.core.sources.youzan import mapping, push
from app.core.sources.youzan.rules import RULES, YouzanOptions

TOKEN_MARGIN = timedelta(minutes=5)


class Connector(ConnectorBase[YouzanOptions]):
    id = "youzan"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, YouzanOptions.from_mapping(ctx.options))
        self.url = ctx.base_url.rstrip("/") + "/"
        self.token = AccessToken(self._new_token, self.now, TOKEN_MARGIN)

    # ------------------------------------------------------------------ pushes
    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        return push.parse(kind, request, self.creds, self.opts, self.now())

    # ------------------------------------------------------------------ token
    async def _new_token(self) -> tuple[str, datetime]:
        resp = await self.send(
            self.url + self.opts.token_path,
            content=mapping.token_body(
                self.creds["client_id"], self.creds["client_secret"], self.creds["kdt_id"]
            ),
            content_type="application/json",
            mutating=False,
        )
        data = as_dict(mapping.unwrap(resp.body))
        if not data.get("access_token"):
            raise SourceAuthError(self.id, "no access_token in the token answer")
        expires_ms = int_or_none(data.get("expires")) or 0  # ASSUMED: epoch ms
        until = self.now() + timedelta(hours=1)
        if expires_ms:
            until = from_unix(expires_ms / 1000)
        return str(data["access_token"]), until

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """One read; an auth refusal renews the token once and tries again."""

        async def read(token: str) -> Any:
            resp = await self.send(
                self.url + mapping.api_path(method, self.opts.api_version),
                params={"access_token": token},
                content=json.dumps(params, separators=(",", ":")).encode(),
                content_type="application/json",
                mutating=False,
            )
            return mapping.unwrap(resp.body)

        return await self.token.retry_once(read)

    async def probe(self) -> tuple[str, str]:
        """ "Test connection": one authenticated call (a fresh access token)."""
        await self.token.get(renew=True)
        return ("连接成功：已取得访问令牌", "Connected: access token obtained")

    # ------------------------------------------------------------------ reads
    async def get_order(self, source_order_id: str) -> SourceOrder:
        data = as_dict(await self.call("youzan.trade.get", {"tid": source_order_id}))
        full = as_dict(data.get("full_order_info"))
        if not full:
            raise SourceNotFoundError(self.id, f"no trade {source_order_id}")
        if mapping.is_parcel(full):  # 快递: passed over like an unknown order
            raise SourceNotFoundError(self.id, f"trade {source_order_id} is a parcel (快递)")
        return mapping.parse_order(
            {**full, "kdt_id": self.creds.get("kdt_id", "")}, received=self.now()
        )

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        return await self.read_each(source_order_ids, "trade")

    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        """No list of missed pushes in our sources: 有赞 re-pushes (README §5)."""
        return []

    # ------------------------------------------------------------------ actions
    async def confirm(self, source_order_id: str) -> None:
        """A paid 有赞 trade needs no accept (orders arrive CONFIRMED)."""

    async def reject(self, source_order_id: str, reason: str) -> None:
        raise SourceRejectedError(
            self.id, "有赞 has no reject call: refund the trade in the 有赞 back office"
        )

    async def sync_back(self, change: SyncBack) -> None:
        """Never called (``RULES.syncs_back`` is False): no public write-back API."""
        raise SourceRejectedError(self.id, "有赞 has no public self-delivery status API")
