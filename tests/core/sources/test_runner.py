"""The source runner: catch-up then healthy, the board first and auto-confirm after it
(in the background, retried, then handed to the caller), a restart confirming what was
stored unconfirmed, ring decisions, health on errors, and the pull loop."""

from __future__ import annotations

import asyncio

import pytest

from app.core.domain.source_order import SourceOrder, SourceOrderState
from app.core.sources.base import SourceError
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


class Failures:
    """Collects what the runner hands on when every auto-confirm try failed."""

    def __init__(self) -> None:
        self.got: list[tuple[str, int, str]] = []

    async def __call__(self, order: SourceOrder, error: SourceError, tries: int) -> None:
        self.got.append((order.source_order_id, tries, type(error).__name__))


class HeldConfirm:
    """The rig's connector whose 接单 waits until the test lets it go (a slow platform)."""

    def __init__(self, connector) -> None:
        self._inner = connector
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    async def confirm(self, source_order_id: str) -> None:
        self.started.set()
        await self.release.wait()
        await self._inner.confirm(source_order_id)


class FlakyConfirm:
    """The rig's connector whose next ``fail`` 接单 calls meet a 502 from the simulator."""

    def __init__(self, rig, fail: int) -> None:
        self._inner, self.sim, self.fail = rig.connector, rig.sim, fail

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    async def confirm(self, source_order_id: str) -> None:
        if self.fail > 0:
            self.fail -= 1
            self.sim.faults.server_errors = 1
        await self._inner.confirm(source_order_id)


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
    # on the board as they came (waiting for 接单), then confirmed behind it
    assert board.got == [
        (old, False, SourceOrderState.NEW),
        (young, True, SourceOrderState.NEW),
    ]
    await runner.settled()
    assert sim.orders[old].fields["status"] == 4 and sim.orders[young].fields["status"] == 4
    assert (await store.get("meituan", young)).state is SourceOrderState.CONFIRMED


async def test_auto_confirm_off_leaves_orders_new(mt_rig):
    oid = mt_rig.sim.new_order()
    board = Board()
    runner = SourceRunner(
        mt_rig.connector, MemorySourceStore(), mt_rig.clock, auto_confirm=False, on_new=board
    )
    await runner.start()
    await runner.settled()
    assert board.got == [(oid, True, SourceOrderState.NEW)]
    assert mt_rig.sim.orders[oid].fields["status"] == 2
    assert "order/confirm" not in mt_rig.sim.log.paths()


async def test_a_slow_confirm_never_holds_the_board(mt_rig):
    held = HeldConfirm(mt_rig.connector)
    board, store = Board(), MemorySourceStore()
    runner = SourceRunner(held, store, mt_rig.clock, on_new=board)
    await runner.start()
    oid = mt_rig.sim.new_order()
    reply = await receive_push(
        held, store, "order", signed(mt_rig, "order", mt_rig.sim.order_push_fields(oid))
    )
    await runner.pushed(reply)  # returns while 接单 still waits on the platform
    await held.started.wait()
    assert board.got == [(oid, True, SourceOrderState.NEW)]
    assert mt_rig.sim.orders[oid].fields["status"] == 2
    held.release.set()
    await runner.settled()
    assert mt_rig.sim.orders[oid].fields["status"] == 4
    assert (await store.get("meituan", oid)).state is SourceOrderState.CONFIRMED


@pytest.mark.allow_warnings  # giving up on 接单 is logged as a warning
async def test_a_failed_confirm_is_retried_then_handed_on(mt_rig):
    sim, store, failures = mt_rig.sim, MemorySourceStore(), Failures()
    flaky = FlakyConfirm(mt_rig, fail=1)  # the first 接单 gets a 502, the retry lands
    runner = SourceRunner(
        flaky, store, mt_rig.clock, on_confirm_failed=failures, confirm_backoff_s=(0, 0)
    )
    await runner.start()
    once = sim.new_order()
    await runner.pull_once()
    await runner.settled()
    assert sim.orders[once].fields["status"] == 4 and failures.got == []
    assert ("order/confirm", "502") in sim.log.rejected

    flaky.fail = 3  # every try fails; the re-read after them works
    never = sim.new_order()
    await runner.pull_once()
    await runner.settled()
    assert failures.got == [(never, 3, "SourceOutcomeUnknownError")]  # a 502 on a write
    assert sim.orders[never].fields["status"] == 2
    assert (await store.get("meituan", never)).state is SourceOrderState.NEW
    assert runner.health.last_error


async def test_a_restart_confirms_what_was_stored_unconfirmed(mt_rig):
    sim, store = mt_rig.sim, MemorySourceStore()
    first = SourceRunner(mt_rig.connector, store, mt_rig.clock, auto_confirm=False)
    await first.start()
    oid = sim.new_order()
    await first.pull_once()  # stored and on the board, but never confirmed (a stop)
    gone = sim.new_order()
    await first.pull_once()
    sim.user_cancel(gone)  # the platform cancels it meanwhile; no push reaches us
    assert (await store.get("meituan", oid)).state is SourceOrderState.NEW

    board = Board()
    again = SourceRunner(mt_rig.connector, store, mt_rig.clock, on_new=board)
    await again.start()
    await again.settled()
    assert board.got == []  # nothing new: the board had them already
    assert sim.orders[oid].fields["status"] == 4
    assert sim.orders[gone].fields["status"] == 9  # cancelled meanwhile: not asked
    assert [c.params["order_id"] for c in sim.log.calls if c.path == "order/confirm"] == [oid]


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
    assert board.got == [(oid, True, SourceOrderState.NEW)]
    assert runner.health.last_push_at == mt_rig.clock.now()
    dropped = mt_rig.sim.new_order()
    await runner.run(0, ticks=2)
    assert [g[0] for g in board.got] == [oid, dropped]
