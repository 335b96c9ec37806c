"""The source runner: catch-up then healthy, auto-confirm, ring decisions, health on
errors, and the pull loop."""

from __future__ import annotations

import pytest

from app.core.domain.source_order import SourceOrder, SourceOrderState
from app.core.sources.inbox import receive_push
from app.core.sources.runner import HealthState, SourceRunner
from app.core.sources.store import MemorySourceStore
from tests.core.sources.test_inbox import signed

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


class Board:
    """Collects what the runner hands on (order, ring)."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bool, SourceOrderState]] = []

    async def __call__(self, order: SourceOrder, ring: bool) -> None:
        self.got.append((order.source_order_id, ring, order.state))


async def test_start_confirms_and_rings_only_young_orders(mt_rig):
    sim, clock = mt_rig.sim, mt_rig.clock
    old = sim.new_order()
    clock.advance(3600)
    young = sim.new_order()
    board, store = Board(), MemorySourceStore()
    runner = SourceRunner(mt_rig.connector, store, clock, on_new=board)
    assert runner.health.label() == "启动中"
    report = await runner.start()
    assert report.healthy and runner.health.state is HealthState.HEALTHY
    assert runner.health.label() == "正常" and runner.health.last_pull_at == clock.now()
    assert board.got == [
        (old, False, SourceOrderState.CONFIRMED),
        (young, True, SourceOrderState.CONFIRMED),
    ]
    assert sim.orders[old].fields["status"] == 4 and sim.orders[young].fields["status"] == 4
    assert (await store.get("meituan", young)).state is SourceOrderState.CONFIRMED


async def test_auto_confirm_off_leaves_orders_new(mt_rig):
    oid = mt_rig.sim.new_order()
    board = Board()
    runner = SourceRunner(
        mt_rig.connector, MemorySourceStore(), mt_rig.clock, auto_confirm=False, on_new=board
    )
    await runner.start()
    assert board.got == [(oid, True, SourceOrderState.NEW)]
    assert mt_rig.sim.orders[oid].fields["status"] == 2


async def test_errors_show_in_health_and_clear_on_the_next_pull(mt_rig):
    runner = SourceRunner(mt_rig.connector, MemorySourceStore(), mt_rig.clock)
    mt_rig.sim.faults.server_errors = 1
    await runner.start()
    assert runner.health.state is HealthState.ERROR
    assert runner.health.label().startswith("异常: ") and runner.health.label("en").startswith(
        "Error"
    )
    oid = mt_rig.sim.new_order()
    assert [o.source_order_id for o in await runner.pull_once()] == [oid]
    assert runner.health.state is HealthState.HEALTHY


async def test_pushed_orders_ring_and_the_loop_pulls(mt_rig):
    board, store = Board(), MemorySourceStore()
    runner = SourceRunner(mt_rig.connector, store, mt_rig.clock, on_new=board)
    await runner.start()
    oid = mt_rig.sim.new_order()
    reply = await receive_push(
        mt_rig.connector, store, "order", signed(mt_rig, "order", mt_rig.sim.order_push_fields(oid))
    )
    await runner.pushed(reply)
    assert board.got == [(oid, True, SourceOrderState.CONFIRMED)]
    assert runner.health.last_push_at == mt_rig.clock.now()
    dropped = mt_rig.sim.new_order()
    await runner.run(0, ticks=2)
    assert [g[0] for g in board.got] == [oid, dropped]
