"""The rehearsal feed posts signed sample orders through the real POS listener."""

import pytest

from app.core.rehearsal import RehearsalFeed
from tests.helpers import started_core, wait_until


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


@pytest.mark.asyncio
async def test_pos_secret_is_read_once_and_rotation_takes_effect(tmp_path):
    from app.bootstrap import build_core
    from app.core.sandbox.engine import SandboxEngine
    from app.core.secrets import MemorySecretStore
    from tests.helpers import make_settings

    settings = make_settings(tmp_path, pos={"secret": None})
    core = build_core(settings, secrets=MemorySecretStore(), sandbox_engine=SandboxEngine(speed=0))
    await core.start(pos=False)
    try:
        svc = core.service
        first = svc.pos_secret()  # generated at start and stored
        assert svc.secrets.get("pos.secret") == first
        svc.secrets.set("pos.secret", "changed-behind-our-back")
        assert svc.pos_secret() == first  # served from memory, no store read per request
        rotated = await svc.rotate_pos_secret()
        assert rotated != first and svc.pos_secret() == rotated
        assert svc.secrets.get("pos.secret") == rotated
    finally:
        await core.stop()
