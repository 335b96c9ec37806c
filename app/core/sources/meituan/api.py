"""美团外卖 waimaiopen connector: thin I/O around ``mapping`` and ``push``.

Pull (a counter PC has no public URL): today's latest ``day_seq`` → each new seq's
``order_id`` → its detail; a per-day watermark means each seq is read once, and the
day number restarts at 1 after midnight (Asia/Shanghai). Before ``yesterday_until_hour``
yesterday is scanned too, until the platform has no order for the next seq.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from app.core.clock import LOCAL_TZ
from app.core.domain.source_order import SourceOrder
from app.core.sources.base import (
    PushRequest,
    PushResult,
    SourceContext,
    SourceNotFoundError,
    SourceRejectedError,
    SyncBack,
)
from app.core.sources.kit import ConnectorBase, int_or_none, local_date, text_id, yyyymmdd
from app.core.sources.meituan import codes, mapping, push
from app.core.sources.meituan.rules import RULES, MtWmOptions

log = logging.getLogger(__name__)


class Connector(ConnectorBase[MtWmOptions]):
    id = "meituan"
    rules = RULES

    def __init__(self, ctx: SourceContext) -> None:
        super().__init__(ctx, MtWmOptions.from_mapping(ctx.options))
        self._scanned: dict[date, int] = {}  # business day -> highest day_seq read

    async def _call(self, wire: mapping.Wire, *, mutating: bool) -> Any:
        content = urlencode(wire.form).encode() if wire.method == "POST" else None
        resp = await self.send(
            wire.url,
            method=wire.method,
            params=wire.query,
            content=content,
            content_type="application/x-www-form-urlencoded" if content is not None else "",
            mutating=mutating,
        )
        return mapping.unwrap(resp.body)

    # ------------------------------------------------------------------ pushes
    def parse_push(self, kind: str, request: PushRequest) -> PushResult:
        return push.parse(kind, request, self.creds, self.opts, self.ctx.push_base_url)

    # ------------------------------------------------------------------ reads
    async def get_order(self, source_order_id: str) -> SourceOrder:
        wire = mapping.build_detail(self.base, source_order_id, self.creds, self.unix_s())
        data = await self._call(wire, mutating=False)
        if not isinstance(data, dict):
            raise SourceNotFoundError(self.id, f"no detail for {source_order_id}")
        return mapping.parse_order(data, self.opts)

    async def view_status(self, source_order_id: str) -> int:
        wire = mapping.build_view_status(self.base, source_order_id, self.creds, self.unix_s())
        data = await self._call(wire, mutating=False)
        status = int_or_none(data.get("status") if isinstance(data, dict) else data)
        if status is None:
            raise SourceRejectedError(self.id, f"no status in {data!r}")
        return status

    async def latest_day_seq(self) -> int:
        wire = mapping.build_latest_day_seq(self.base, self.creds, self.unix_s())
        data = await self._call(wire, mutating=False)
        seq = int_or_none(data.get("day_seq") if isinstance(data, dict) else data)
        return seq or 0

    async def order_id_by_day_seq(self, day: date, day_seq: int) -> str:
        wire = mapping.build_id_by_day_seq(
            self.base, yyyymmdd(day), day_seq, self.creds, self.unix_s()
        )
        data = await self._call(wire, mutating=False)
        oid = data.get("order_id") if isinstance(data, dict) else data
        if not oid:
            raise SourceNotFoundError(self.id, f"no order for day_seq {day_seq} on {day}")
        return text_id(oid)

    # ------------------------------------------------------------------ pull
    async def pull(self, known: Collection[str] = ()) -> list[SourceOrder]:
        """Orders not yet seen by day number; ``known`` ids skip the detail call."""
        now = self.now()
        today = local_date(now)
        out: list[SourceOrder] = []
        if now.astimezone(LOCAL_TZ).hour < self.opts.yesterday_until_hour:
            out += await self._scan(today - timedelta(days=1), None, known)
        out += await self._scan(today, await self.latest_day_seq(), known)
        return out

    async def _scan(
        self, day: date, latest: int | None, known: Collection[str]
    ) -> list[SourceOrder]:
        start = self._scanned.get(day, 0) + 1
        stop = min(
            latest if latest is not None else self.opts.max_day_seq_scan, self.opts.max_day_seq_scan
        )
        out: list[SourceOrder] = []
        for seq in range(start, stop + 1):
            try:
                oid = await self.order_id_by_day_seq(day, seq)
            except SourceNotFoundError:
                if latest is None:  # yesterday: no upper bound known, stop at the gap
                    break
                self._scanned[day] = seq
                continue
            if oid not in known:
                out.append(await self.get_order(oid))
            self._scanned[day] = seq
        return out

    async def refresh(self, source_order_ids: Sequence[str]) -> list[SourceOrder]:
        """One detail read per open order (the detail carries ``status``)."""
        return await self.read_each(source_order_ids)

    # ------------------------------------------------------------------ actions
    async def confirm(self, source_order_id: str) -> None:
        wire = mapping.build_confirm(self.base, source_order_id, self.creds, self.unix_s())
        mapping.expect_ok(await self._call(wire, mutating=True))

    async def reject(self, source_order_id: str, reason: str) -> None:
        code = codes.MERCHANT_CANCEL_DEFAULT
        wire = mapping.build_cancel(
            self.base, source_order_id, reason, code, self.creds, self.unix_s()
        )
        mapping.expect_ok(await self._call(wire, mutating=True))

    async def switch_to_self_delivery(self, source_order_id: str) -> None:
        wire = mapping.build_poi_self(
            self.base, source_order_id, self.creds, self.opts, self.unix_s()
        )
        mapping.expect_ok(await self._call(wire, mutating=True))

    async def sync_back(self, change: SyncBack) -> None:
        wire = mapping.build_sync(self.base, change, self.creds, self.opts, self.unix_s())
        if wire is None:
            log.debug("meituan: nothing to sync for %s", change.status)
            return
        mapping.expect_ok(await self._call(wire, mutating=True))
