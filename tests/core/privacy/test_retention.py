"""Issue 19 item 5: ``[privacy] retain_days`` — older orders keep the masked phone, the
district and the amounts; source orders lose their raw payload and full recipient; the
job is batched and idempotent, the hub outbox follows and the export is unchanged."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from app.core.config import Settings
from app.core.privacy import mask_phone
from app.core.reconciliation.service import ReportService
from app.core.retention import (
    MARKER,
    RetentionJob,
    district_of,
    seconds_until_nightly,
)
from app.core.storage import tables as t
from app.core.storage.db import make_engine
from app.core.storage.repos import Database
from tests.core.upgrade.make_fixture import T0, make, rows
from tests.fakes.clock import FakeClock

# 60 orders 7 h apart from T0; with 90 days kept, "now" at T0 + 98 days masks the first
# 8 days' orders (about 27) and keeps the rest
NOW = T0.replace(tzinfo=UTC) + timedelta(days=98)
CUTOFF = (NOW - timedelta(days=90)).replace(tzinfo=None)


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    eng = make_engine(f"sqlite:///{make(tmp_path / 'jupei.db')}")
    yield eng
    eng.dispose()


def _job(engine: Engine, batch: int = 200, days: int = 90) -> RetentionJob:
    return RetentionJob(engine, FakeClock(NOW), lambda: days, batch=batch)


def _orders(engine: Engine) -> dict[int, Any]:
    with engine.connect() as c:
        return {r.id: r._mapping for r in c.execute(select(t.orders))}


def test_district_of() -> None:
    assert district_of("上海市浦东新区世纪大道100号3楼") == "上海市浦东新区"
    assert district_of("广东省深圳市南山区科技园南路1号") == "广东省深圳市南山区"
    assert district_of("北京市朝阳区建国路88号SOHO") == "北京市朝阳区"
    assert district_of("杭州市文三路1号") == "杭州市"
    assert district_of("门口保安亭") == ""
    for a in ("上海市浦东新区世纪大道100号3楼", "杭州市文三路1号"):
        assert district_of(district_of(a)) == district_of(a)  # idempotent


def test_old_orders_masked_recent_kept_amounts_untouched(engine: Engine) -> None:
    want = {r["id"]: r for r in rows()["orders"]}
    res = _job(engine).run_once()
    old = {i for i, r in want.items() if r["received_at"] < CUTOFF}
    assert 10 < len(old) < len(want) - 10
    assert res.orders == len(old)
    got = _orders(engine)
    for i, r in want.items():
        g = got[i]
        for money in ("total_fen", "goods_value_fen", "delivery_fee_fen", "items", "distance_m",
                      "business_date", "state", "pos_order_id", "pickup_no"):  # fmt: skip
            assert g[money] == r[money], (i, money)
        if i in old:
            assert g["customer_phone"] == mask_phone(r["customer_phone"]) != r["customer_phone"]
            assert g["address"] == district_of(r["address"]) and g["address"].endswith("区")
            assert g["customer_name"] == r["customer_name"][0] + "*" * (len(r["customer_name"]) - 1)
            assert r["customer_phone"] not in g["note"] + g["search_text"]
            assert r["address"] not in g["search_text"]
            assert g["lat"] == round(r["lat"], 2) and MARKER in g["extra"]
        else:
            assert g["customer_phone"] == r["customer_phone"]
            assert g["address"] == r["address"] and g["extra"] == r["extra"]
    # the app still reads them (the board, reports)
    o = Database(engine).get_order(min(old))
    assert o is not None and o.customer.phone.count("*") == 4


def test_source_orders_and_tickets_follow(engine: Engine) -> None:
    want = {r["id"]: r for r in rows()["source_orders"]}
    res = _job(engine).run_once()
    old = {i for i, r in want.items() if r["created_at"] < CUTOFF}
    assert old and res.source_orders == len(old)
    with engine.connect() as c:
        got = {r.id: r for r in c.execute(select(t.source_orders))}
        tickets = {r.order_id: r.payload for r in c.execute(select(t.print_jobs))}
    for i, r in want.items():
        g = got[i]
        phone = r["doc"]["recipient"]["phones"][0]["number"]
        if i in old:
            assert g.raw_payload == {}
            rec = g.doc["recipient"]
            assert rec["phones"][0]["number"] == mask_phone(phone)
            assert rec["address"] == district_of(r["doc"]["recipient"]["address"])
            assert phone not in str(g.doc) and g.doc["source_order_id"] == r["source_order_id"]
        else:
            assert g.raw_payload == r["raw_payload"] and g.doc == r["doc"]
    old_orders = {r["id"] for r in rows()["orders"] if r["received_at"] < CUTOFF}
    assert res.print_jobs == len(old_orders)
    for oid, payload in tickets.items():
        assert (payload is None) == (oid in old_orders)


def test_idempotent_and_batched(engine: Engine) -> None:
    job = _job(engine, batch=7)
    sizes: list[int] = []
    real = job.orders_batch

    def spy(cutoff: datetime) -> int:
        n = real(cutoff)
        sizes.append(n)
        return n

    job.orders_batch = spy  # type: ignore[method-assign]
    first = asyncio.run(job.run())
    assert first.orders > 7 and max(sizes) == 7 and sizes[-1] == 0
    assert len(sizes) == first.orders // 7 + 2 - (first.orders % 7 == 0)
    snapshot = _orders(engine)
    again = job.run_once()
    assert again.total == 0
    assert _orders(engine) == snapshot


def test_shorter_retention_masks_more(engine: Engine) -> None:
    n90 = _job(engine).run_once().orders
    n30 = _job(engine, days=30).run_once().orders
    assert n30 > 0 and n90 + n30 == 60  # everything older than 30 days: all 60


def test_hub_outbox_follows(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(t.kv.insert().values(key="hub.sync", value={"since": 0}))
        c.execute(t.hub_outbox.delete())
    res = _job(engine).run_once()
    with engine.connect() as c:
        queued = {(r.tbl, r.row_id) for r in c.execute(select(t.hub_outbox))}
        old_q = select(t.orders.c.id).where(t.orders.c.received_at < CUTOFF.replace(tzinfo=UTC))
        old_orders = {r.id for r in c.execute(old_q)}
    assert {rid for tbl, rid in queued if tbl == "orders"} == old_orders
    assert len([1 for tbl, _ in queued if tbl == "source_orders"]) == res.source_orders


def test_export_unchanged_by_retention(engine: Engine, tmp_path: Path) -> None:
    async def audit(*_a: Any) -> None:
        return None

    svc = ReportService(Database(engine), settings=Settings, audit=audit)

    def export(name: str) -> str:
        out = tmp_path / name / "report.csv"
        out.parent.mkdir()
        res = asyncio.run(svc.export(out, date_from="2026-06-01", date_to="2026-06-30", fmt="csv"))
        assert res.rows > 50
        return "".join(p.read_text(encoding="utf-8-sig") for p in sorted(out.parent.glob("*.csv")))

    before = export("before")
    assert _job(engine).run_once().orders > 10
    after = export("after")
    assert after == before  # masked phones and every amount, as before
    for r in rows()["orders"]:
        assert r["customer_phone"] not in after
    assert list(csv.reader(after.splitlines()))


def test_nightly_time() -> None:
    # 2026-12-02 12:00 UTC = 20:00 Beijing -> 03:30 Beijing next day = 7.5 h
    assert seconds_until_nightly(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) == 7.5 * 3600
    # 03:30 exactly -> the next night
    at = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)
    assert seconds_until_nightly(at) == 24 * 3600


def test_settings_default_and_bound() -> None:
    assert Settings().privacy.retain_days == 90
    with pytest.raises(ValueError):
        Settings(privacy={"retain_days": 0})


def test_started_job_runs_then_waits_for_the_night(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.core.retention as retention

    monkeypatch.setattr(retention, "FIRST_RUN_DELAY_S", 0.0)
    waits: list[float] = []

    async def scenario() -> None:
        job = _job(engine)
        real_sleep = asyncio.sleep

        async def sleep(s: float) -> None:
            waits.append(s)
            await real_sleep(0 if s == 0 else 3600)  # the night never comes in the test

        monkeypatch.setattr(retention.asyncio, "sleep", sleep)
        job.start()
        while len(waits) < 2:  # the first run finished, the loop waits for 03:30
            await real_sleep(0.01)
        monkeypatch.setattr(retention.asyncio, "sleep", real_sleep)
        assert job.last is not None and job.last.orders > 10
        assert waits[1] == seconds_until_nightly(NOW)
        await job.stop()
        assert job._task is None

    asyncio.run(scenario())


def test_cli_runs_it_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from app.__main__ import main

    monkeypatch.setenv("JUPEI_HOME", str(tmp_path / "home"))
    db = make(tmp_path / "jupei.db")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{db.as_posix()}"\n', encoding="utf-8")
    # the fixture's orders are from June 2026; 3650 days keeps them all
    assert main(["retention", "--config", str(cfg), "--days", "3650"]) == 0
    assert "masked 0 orders" in capsys.readouterr().out
    old = rows()["orders"][0]["received_at"].replace(tzinfo=UTC)
    days = max(1, (datetime.now(UTC) - old).days - 1)  # just after the first order
    assert main(["retention", "--days", str(days), "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "masked 0 orders" not in out and f"privacy retention {days} days" in out
    eng = make_engine(f"sqlite:///{db}")
    try:
        assert MARKER in _orders(eng)[1]["extra"]
    finally:
        eng.dispose()
