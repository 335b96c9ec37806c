"""Shared test helpers: a started core on a temp database, memory secrets and sandboxes
frozen in time (speed 0; move them with ``engine.advance``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from app.bootstrap import Core, build_core
from app.core.config import Settings
from app.core.domain import Address, Channel, Customer, DispatchMode, Item, Order
from app.core.sandbox.engine import SandboxEngine
from app.core.secrets import MemorySecretStore

POS_SECRET = "test-pos-secret-0123456789"


def make_settings(tmp_path: Path, **overrides) -> Settings:
    base = {
        "database": {"url": f"sqlite:///{tmp_path / 'test.db'}"},
        "pos": {"port": 0, "secret": POS_SECRET},
        # the source simulators only where a test asks ("sources": True)
        "rehearsal": {"mode": "on", "speed": 0, "port": 0, "sources": False},
        "backup": {"enabled": False},  # the daily backup only where a test asks
    }
    for k, v in overrides.items():
        base.setdefault(k, {}).update(v) if isinstance(v, dict) else base.__setitem__(k, v)
    return Settings(**base)


@contextlib.asynccontextmanager
async def started_core(
    tmp_path: Path, *, pos: bool = False, engine: SandboxEngine | None = None, **overrides
) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, **overrides)
    core = build_core(
        settings,
        secrets=MemorySecretStore(),
        sandbox_engine=engine or SandboxEngine(seed=1, speed=0),
    )
    await core.start(pos=pos)
    try:
        yield core
    finally:
        await core.stop()


def sample_order(pos_order_id: str = "P1001", **kw) -> Order:
    defaults = dict(
        pos_order_id=pos_order_id,
        channel=Channel.POS,
        created_at=datetime(2026, 11, 24, 4, 0, tzinfo=UTC),
        customer=Customer(
            "张三", "13812345678", Address("上海市黄浦区西藏中路268号", 31.2330, 121.4760)
        ),
        items=(Item("宫保鸡丁", 1, 3800), Item("米饭", 2, 200)),
        total_fen=4200,
        goods_value_fen=4200,
        weight_g=1200,
        note="少辣",
        pickup_no="A12",
        dispatch_mode=DispatchMode.MANUAL,
    )
    defaults.update(kw)
    return Order(**defaults)


async def wait_until(pred, timeout: float = 5.0, interval: float = 0.01):
    """Async replacement for qtbot.waitUntil (never use qtbot.wait* in async tests)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        res = pred()
        if asyncio.iscoroutine(res):
            res = await res
        if res:
            return res
        if loop.time() > end:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)
