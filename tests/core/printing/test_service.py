"""PrintService end to end: network capture, idempotency across a restart, failover,
held backlog, auto-print rules, alerts, previews."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.core.events import (
    AlertCleared,
    AlertRaised,
    AttemptStatusChanged,
    OrderReceived,
    PrintJobChanged,
)
from app.core.storage.print_repo import PrintJob
from tests.fakes.printer import build_env, dead_port
from tests.helpers import wait_until

pytestmark = pytest.mark.asyncio


def net(name: str, port: int, **kw) -> dict:
    return {"name": name, "kind": "network", "host": "127.0.0.1", "port": port, **kw}


async def test_network_ticket_bytes(tmp_path, fake_printer):
    env = build_env(tmp_path, [net("counter", fake_printer.port, width=58)], on_new_order=False)
    ps = env.make_printing()
    await ps.start()
    try:
        job = await ps.print_order(env.order_id)
        await ps.queue.idle()
        await wait_until(lambda: fake_printer.tickets())
    finally:
        await ps.stop()
    assert job.id == f"{env.order_id}:counter:standard:manual:1"
    data = fake_printer.tickets()[0]
    assert data.startswith(b"\x1b@\x1c&")
    text = data.decode("gb18030", errors="strict")  # every string is GB18030 text
    assert "#A12" in text and "宫保鸡丁" in text and "备注：少辣" in text
    assert "138****5678" in text and "13812345678" not in text
    assert "配送：达达" in text and "运单号：DD9001" in text
    assert "￥42.00" in text  # total line without an item name next to it
    assert "￥".encode("gb18030") + b"4.00" in data  # 米饭 x2 -> ￥4.00
    assert b"\x1bE\x01" in data  # bold (note, pickup)
    assert b"\x1d(k" in data and b"1P0https://t.example.com/DD9001" in data  # native QR
    assert data.endswith(b"\x1dV\x00")  # cut last
    assert (await ps.jobs_for_order(env.order_id))[0].state == "done"
    states = [e.state for e in env.events if isinstance(e, PrintJobChanged)]
    assert states == ["queued", "printing", "done"]


async def test_same_job_twice_prints_once_and_reprint_is_explicit(tmp_path, fake_printer):
    env = build_env(tmp_path, [net("counter", fake_printer.port)], on_new_order=False)
    ps = env.make_printing()
    await ps.start()
    try:
        a = await ps.print_order(env.order_id, reason="new_order")
        b = await ps.print_order(env.order_id, reason="new_order")
        await ps.queue.idle()
        assert a.id == b.id
        r1 = await ps.reprint(env.order_id)
        r2 = await ps.reprint(env.order_id)
        await ps.queue.idle()
        await wait_until(lambda: len(fake_printer.tickets()) == 3)
    finally:
        await ps.stop()
    assert r1.id.endswith(":reprint:1") and r2.id.endswith(":reprint:2")
    assert "补打".encode("gb18030") in fake_printer.tickets()[-1]
    assert len(fake_printer.tickets()) == 3


async def test_restart_mid_job_holds_instead_of_reprinting(tmp_path, fake_printer):
    env = build_env(tmp_path, [net("counter", fake_printer.port)], on_new_order=False)
    ps = env.make_printing()
    job = await ps._submit(env.order_id, ps._printer(None), None, "new_order", 1)  # not started
    # the first process claimed the job and died while sending
    assert ps.repo.claim(job.id, "counter", env.clock.now())
    ps2 = env.make_printing()  # a new process on the same database
    await ps2.start()
    try:
        held = await ps2.held_jobs()
        assert [(j.id, j.error) for j in held] == [(job.id, "interrupted")]
        again = await ps2.print_order(env.order_id, reason="new_order")  # same id
        assert again.state == "held"
        await ps2.queue.idle()
        assert fake_printer.tickets() == []
        # a human says print it
        assert await ps2.release_held() == 1
        await ps2.queue.idle()
        await wait_until(lambda: len(fake_printer.tickets()) == 1)
    finally:
        await ps2.stop()
    assert (await ps2.jobs_for_order(env.order_id))[0].state == "done"


@pytest.mark.allow_warnings
async def test_dead_printer_fails_over_to_fallback(tmp_path, fake_printer):
    printers = [net("kitchen", dead_port(), fallback="counter"), net("counter", fake_printer.port)]
    env = build_env(tmp_path, printers, on_new_order=False)
    ps = env.make_printing()
    await ps.start()
    try:
        job = await ps.print_order(env.order_id, printer="kitchen")
        await ps.queue.idle()
        await wait_until(lambda: fake_printer.tickets())
    finally:
        await ps.stop()
    done = (await ps.jobs_for_order(env.order_id))[0]
    assert (done.id, done.state, done.printer) == (job.id, "done", "counter")
    alerts = [e for e in env.events if isinstance(e, AlertRaised)]
    assert [a.kind for a in alerts] == ["printer"] and "kitchen" in alerts[0].message
    status = {s.name: s.state for s in ps.printer_status()}
    assert status == {"kitchen": "offline", "counter": "online"}


@pytest.mark.allow_warnings
async def test_outage_backlog_is_held_then_released_or_discarded(tmp_path, fake_printer):
    port = dead_port()
    env = build_env(tmp_path, [net("counter", port)], on_new_order=False)
    ps = env.make_printing(max_rounds=2)
    await ps.start()
    try:
        first = await ps.print_order(env.order_id)
        await wait_until(lambda: ps.queue.is_down("counter"))
        await ps.queue.idle()
        second = await ps.reprint(env.order_id)  # queued while the printer is down
        assert second.state == "held"
        await wait_until(lambda: first.id in {j.id for j in ps.repo.in_state("held")})
        assert await ps.discard_held([second.id]) == 1
        held = await ps.held_jobs()
        assert [j.id for j in held] == [first.id]
    finally:
        await ps.stop()


async def test_stale_queued_jobs_are_held_at_start(tmp_path, fake_printer):
    env = build_env(tmp_path, [net("counter", fake_printer.port)], on_new_order=False)
    ps = env.make_printing()
    job = await ps._submit(env.order_id, ps._printer(None), None, "new_order", 1)
    env.clock.advance(11 * 60)
    ps2 = env.make_printing()
    await ps2.start()
    try:
        await ps2.queue.idle()
        assert [j.id for j in await ps2.held_jobs()] == [job.id]
        assert (await ps2.held_jobs())[0].error == "stale"
    finally:
        await ps2.stop()
    assert fake_printer.tickets() == []


async def test_auto_print_rules(tmp_path):
    printers = [{"name": "bar", "kind": "dummy", "templates": ["receipt", "label"], "copies": 2}]
    env = build_env(tmp_path, printers, on_dispatched=True, on_rider_accepted=False)
    ps = env.make_printing()
    await ps.start()
    try:
        bus = env.svc.bus
        bus.publish(OrderReceived(env.order_id, "P1001"))
        bus.publish(OrderReceived(env.order_id, "P1001"))  # a duplicate event
        bus.publish(AttemptStatusChanged(env.order_id, 1, "dada", "pending_accept"))
        bus.publish(AttemptStatusChanged(env.order_id, 1, "dada", "accepted"))  # rule off
        await ps._tasks.drain(timeout=5)
        await ps.queue.idle()
    finally:
        await ps.stop()
    jobs = sorted(j.id for j in await ps.jobs_for_order(env.order_id))
    oid = env.order_id
    assert jobs == sorted(
        f"{oid}:bar:{t}:{r}:{n}"
        for t in ("standard", "label")
        for r, n in (("new_order", 1), ("dispatched", 1))
    )
    out = ps.dummy_output["bar"]
    assert len(out) == 4 and all(b.count(b"\x1dV") == 2 for b in out)  # 2 copies each


async def test_pdf_printer_and_preview(tmp_path):
    printers = [{"name": "pdf", "kind": "pdf", "pdf_dir": str(tmp_path / "out")}]
    env = build_env(tmp_path, printers, on_new_order=False)
    ps = env.make_printing()
    await ps.start()
    try:
        job = await ps.print_order(env.order_id)
        await ps.queue.idle()
        png = await ps.preview_png(env.order_id, 58, "label")
    finally:
        await ps.stop()
    assert isinstance(job, PrintJob)
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 1
    img = Image.open(io.BytesIO(png))
    assert img.width == 384 + 32 and img.height > 300


@pytest.mark.allow_warnings
async def test_printer_back_online_clears_alert(tmp_path, fake_printer):
    env = build_env(tmp_path, [net("counter", fake_printer.port)], on_new_order=False)
    ps = env.make_printing()
    fake_printer.status = (0x1A, 0x72)
    await ps.start()
    try:
        assert {s.state for s in await ps.refresh_status()} == {"paper_out"}
        fake_printer.status = (0x12, 0x12)
        assert {s.state for s in await ps.refresh_status()} == {"online"}
    finally:
        await ps.stop()
    kinds = [type(e).__name__ for e in env.events if isinstance(e, AlertRaised | AlertCleared)]
    assert kinds == ["AlertRaised", "AlertCleared"]


async def test_phone_numbers_in_notes_are_masked(tmp_path):
    from tests.helpers import sample_order

    env = build_env(tmp_path, [{"name": "bar", "kind": "dummy"}], on_new_order=False)
    order = sample_order("P2002", note="到了打13812345678")
    oid = env.svc.db.insert_orders([(order, "h2", "pos")], env.clock.now())[0].order.id
    ps = env.make_printing()
    await ps.start()
    try:
        await ps.print_order(oid)
        await ps.queue.idle()
    finally:
        await ps.stop()
    out = ps.dummy_output["bar"][0]
    assert "138****5678".encode("gb18030") in out and b"13812345678" not in out


@pytest.mark.integration
async def test_bootstrap_wires_printing(tmp_path):
    from tests.helpers import sample_order, started_core

    async with started_core(
        tmp_path, printing={"printers": [{"name": "bar", "kind": "dummy"}]}
    ) as core:
        svc = core.service
        ps = svc.printing
        out = await svc.receive_order(sample_order(), "h", "pos")
        await wait_until(lambda: ps.dummy_output.get("bar"))

        async def done():  # the bytes go out first, then the job is marked done
            jobs = await ps.jobs_for_order(out.order.id)
            return jobs if jobs and all(j.state == "done" for j in jobs) else None

        jobs = await wait_until(done)
    assert [(j.id, j.state) for j in jobs] == [(f"{out.order.id}:bar:standard:new_order:1", "done")]
