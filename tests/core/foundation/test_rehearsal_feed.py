"""The rehearsal feed posts signed sample orders through the real POS listener."""

import pytest

from app.core.rehearsal import RehearsalFeed
from tests.conftest import wait_until
from tests.helpers import started_core


@pytest.mark.asyncio
@pytest.mark.integration
async def test_feed_posts_orders_through_the_listener(tmp_path):
    async with started_core(tmp_path, pos=True) as core:
        feed = RehearsalFeed(core.service, core.pos_listener, every_s=0.05, max_orders=3, seed=1)
        assert await feed.post_one()
        feed.start()
        await wait_until(lambda: feed.posted >= 3, timeout=20)
        await feed.stop()
        rows = await core.service.board()
        assert len(rows) == 3
        assert {r.order.extra["source"] for r in rows} == {"pos"}
