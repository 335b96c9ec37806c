"""Concurrency: 1,000 concurrent signed posts with 10 % exact repeats store exactly the
unique orders, every repeat is answered 200 and nothing fails."""

from __future__ import annotations

import pytest

from app.core.pos.sim import build_payloads, post_orders
from tests.helpers import POS_SECRET

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_1000_concurrent_posts_with_10pct_duplicates(pos):
    payloads = build_payloads(1000, pos.core.service.settings.store, dup_rate=0.10, seed=42)
    unique = {p["pos_order_id"] for p in payloads}
    assert 850 < len(unique) < 950
    stats = await post_orders(pos.base + "/orders", POS_SECRET, payloads, rate=0, concurrency=100)
    assert stats.sent == 1000 and stats.errors == 0
    assert stats.codes == {201: len(unique), 200: 1000 - len(unique)}
    db = pos.core.service.db
    assert await db.run(db.count_orders) == len(unique)
    stored = await db.run(db.list_orders, limit=5000)
    assert {o.pos_order_id for o in stored} == unique
