"""``--screenshot PATH [--demo S]``: a short scripted rehearsal, then PNGs of the window.

Orders arrive through the simulated-POS path, get quoted and dispatched against the
sandboxes; the sandbox clock is advanced so riders move. Besides ``PATH`` it writes
``<stem>-detail.png`` (order detail with the quote comparison) and ``<stem>-map.png``."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

log = logging.getLogger(__name__)


async def _settle(window, seconds: float = 0.4) -> None:
    """Let coalesced board refreshes and repaints run."""
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        await asyncio.sleep(0.05)
        if not window.controller._pending and not window.controller._flushing:
            await asyncio.sleep(0.05)


async def _arrive(window, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        out = await window.simulate_order_async()
        ids.append(out.order.id)
        await asyncio.sleep(0.1)
    await _settle(window)
    return ids


async def _dispatch(svc, ids: list[int], carrier: str | None = None) -> list[int]:
    done = []
    for oid in ids:
        try:
            await svc.collect_quotes(oid)
            await svc.dispatch(oid, carrier=carrier, actor="demo")
            done.append(oid)
        except Exception as e:
            log.info("demo: dispatch of %s failed: %s", oid, e)
    return done


async def _move_riders(core, dispatched: list[int], seconds: float, step: float) -> None:
    """Advance the sandbox clock by ``step`` sim-seconds per round and poll, for about
    ``seconds`` of real time."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        core.demo.advance(step)
        await core.demo.poll(dispatched)
        await asyncio.sleep(0.2)


async def run_demo(core, window, seconds: float, path: Path) -> None:
    svc = core.service
    window.resize(1600, 1000)
    window.show()
    ids = await _arrive(window, 6)
    first = await _dispatch(svc, ids[:1])  # will be delivered
    core.demo.goods_come_back("sf")  # its rider brings the goods back: needs attention
    first += await _dispatch(svc, ids[1:2], "sf")  # goods come back: needs attention
    await _move_riders(core, first, max(1.0, seconds * 0.4), step=150)
    second = await _dispatch(svc, ids[2:4])  # in delivery, riders on the map
    await _move_riders(core, second, max(1.0, seconds * 0.3), step=40)
    ids += await _arrive(window, 2)  # fresh arrivals: highlighted, alert bar on
    try:  # the quote comparison for the newest order
        await svc.collect_quotes(ids[-1])
    except Exception as e:
        log.info("demo: quotes failed: %s", e)
    focus = second[0] if second else ids[0]
    window.board.select_order(focus)
    await window.detail.show_order(focus)
    await _settle(window, 0.6)
    save_shots(window, path)


def save_shots(window, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    window.map.grab().save(str(path.with_name(f"{path.stem}-map.png")))
    log.info("screenshot saved: %s", path)


async def save_detail_shot(window, path: Path, order_id: int, suffix: str = "detail") -> None:
    window.board.select_order(order_id)
    await window.detail.show_order(order_id)
    await _settle(window, 0.3)
    window.grab().save(str(path.with_name(f"{path.stem}-{suffix}.png")))
