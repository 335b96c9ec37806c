"""ServiceProxy and EventBridge across threads: service code runs on the core thread,
Qt deliveries on the GUI thread, early calls wait for the core, and the thread check
notices core code on the GUI thread."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest

from app.core.events import Event, EventBus, OrderChanged, RiderMoved
from app.core.runtime import CoreRuntime, CoreStopped
from app.ui.bridge import EventBridge, ServiceProxy, ThreadCheck
from tests.helpers import make_settings, wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


@dataclass(frozen=True)
class Row:
    n: int


class Part:
    """A component under the service (like the dispatcher): its methods are marshalled."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    async def work(self, n: int) -> Row:
        self.threads.append(threading.current_thread().name)
        await asyncio.sleep(0)
        return Row(n * 2)


@dataclass
class Service:
    """The shape of AppService the proxy relies on: coroutines, sync methods, parts, values."""

    settings: object
    bus: EventBus = field(default_factory=EventBus)
    part: Part = field(default_factory=Part)
    threads: list[str] = field(default_factory=list)

    async def total(self, a: int, *, b: int) -> int:
        self.threads.append(threading.current_thread().name)
        return a + b

    def check_pin(self, pin: str) -> bool:
        self.threads.append(threading.current_thread().name)
        return pin == "1234"

    def board_row(self, n: int) -> Row:  # pure: runs where it is called
        return Row(n)

    def subscribe_all(self, handler):
        return self.bus.subscribe_all(handler)


@pytest.fixture
def runtime():
    rt = CoreRuntime(name="test-core")
    rt.start()
    yield rt
    rt.stop()
    assert rt.thread is None


async def test_calls_run_on_the_core_thread_and_early_calls_wait(runtime, tmp_path):
    check = ThreadCheck()
    check.reset()
    settings = make_settings(tmp_path)
    proxy = ServiceProxy(runtime, settings=settings, check=check)
    assert proxy.settings is settings and not proxy.ready
    early = asyncio.ensure_future(proxy.part.work(4))
    await asyncio.sleep(0.05)
    assert not early.done()  # waits for the core instead of failing
    svc = await runtime.run(_make_service(settings))
    proxy.attach(svc)
    assert await early == Row(8)
    assert await proxy.total(1, b=2) == 3
    assert await asyncio.to_thread(proxy.check_pin, "1234") is True
    assert proxy.board_row(5) == Row(5)
    assert svc.threads == ["test-core", "test-core"] and svc.part.threads == ["test-core"]
    assert check.core_calls == 3 and check.violations == []


async def _make_service(settings) -> Service:
    return Service(settings)


async def test_a_failed_core_fails_waiting_calls(runtime, tmp_path):
    proxy = ServiceProxy(runtime, settings=make_settings(tmp_path), check=ThreadCheck())
    early = asyncio.ensure_future(proxy.total(1, b=2))
    await asyncio.sleep(0)
    proxy.fail(RuntimeError("migration failed"))
    with pytest.raises(RuntimeError, match="migration failed"):
        await early


async def test_a_call_after_the_core_stopped_fails_cleanly(runtime, tmp_path):
    proxy = ServiceProxy(runtime, settings=make_settings(tmp_path), check=ThreadCheck())
    proxy.attach(await runtime.run(_make_service(proxy.settings)))
    runtime.stop()
    with pytest.raises(CoreStopped):  # and no "coroutine was never awaited" warning
        await proxy.total(1, b=2)


async def test_core_events_arrive_as_queued_signals_on_the_gui_thread(runtime, tmp_path):
    check = ThreadCheck()
    check.reset()
    proxy = ServiceProxy(runtime, settings=make_settings(tmp_path), check=check)
    bridge = EventBridge(proxy, check=check)
    got: list[tuple[int, str]] = []
    bridge.order_changed.connect(
        lambda e: got.append((e.order_id, threading.current_thread().name))
    )
    svc = await runtime.run(_make_service(proxy.settings))
    proxy.attach(svc)
    await _publish_when_subscribed(runtime, svc.bus, [1, 2, 3])
    await wait_until(lambda: len(got) == 3)
    gui = threading.current_thread().name
    assert got == [(1, gui), (2, gui), (3, gui)]
    assert check.core_events == 3 and check.slots == 3 and check.violations == []
    svc.bus.publish(OrderChanged(9))  # core code on the GUI thread: recorded
    assert check.violations and "published on the GUI thread" in check.violations[0]
    bridge.close()
    await _publish_when_subscribed(runtime, svc.bus, [4], wait=False)
    assert [n for n, _ in got] == [1, 2, 3, 9]  # nothing after close


async def _publish_when_subscribed(runtime, bus, ids, wait=True) -> None:
    from app.core.events import Event

    async def publish() -> None:
        while wait and not bus._subs.get(Event):
            await asyncio.sleep(0.01)
        for i in ids:
            bus.publish(OrderChanged(i))

    await runtime.run(publish())


async def test_rider_positions_are_latest_wins_and_other_events_keep_their_order(runtime, tmp_path):
    check = ThreadCheck()
    check.reset()
    proxy = ServiceProxy(runtime, settings=make_settings(tmp_path), check=check)
    bridge = EventBridge(proxy, check=check)
    riders: list[float] = []
    changed: list[int] = []
    bridge.rider_moved.connect(lambda e: riders.append(e.lat))
    bridge.order_changed.connect(lambda e: changed.append(e.order_id))
    svc = await runtime.run(_make_service(proxy.settings))
    proxy.attach(svc)

    async def publish() -> None:
        while not svc.bus._subs.get(Event):
            await asyncio.sleep(0.01)
        for i in range(200):
            svc.bus.publish(RiderMoved(7, 1, 31.0 + i / 1000, 121.0))
            svc.bus.publish(OrderChanged(i))

    await runtime.run(publish())
    await wait_until(lambda: len(changed) == 200 and riders and riders[-1] == 31.199)
    assert changed == list(range(200))  # every state change, in order
    assert len(riders) <= 200 and riders == sorted(riders)  # bursts merge, never go back
    assert check.core_events == 400 and check.violations == []
    bridge.close()
