"""The upgrade fixture: a database made by one release's migrations with realistic rows.

    cd <worktree> && /work/main/.venv/bin/python -m tests.core.upgrade.make_fixture

writes ``tests/data/upgrade/jupei_<head revision>.db``: the schema from this release's
migrations and ``rows()`` — orders, attempts, quotes, events, print jobs, source orders,
sync-back rows, outbox, bill lines, audit, kv — deterministically (no clock, no random
without a seed). Each release adds its own file and keeps the older ones;
``test_upgrade.py`` migrates every one to head and checks every row against ``rows()``.

``rows()`` is written against the head schema; ``insert_rows`` keeps only the columns
(and tables) the revision being filled has, so the same rows fill an older schema."""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import Engine, MetaData, insert

from app.core.storage.db import alembic_config, make_engine
from app.core.storage.upgrade import head_revision

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "upgrade"
T0 = datetime(2026, 6, 1, 2, 0, 0)  # naive UTC, as SQLite stores it
N_ORDERS = 60

_SURNAMES = "王李张刘陈杨赵黄周吴"
_GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军")
_STREETS = (
    "上海市浦东新区世纪大道{n}号{f}楼",
    "上海市徐汇区漕溪北路{n}弄{f}号",
    "上海市静安区南京西路{n}号{f}室",
    "上海市黄浦区淮海中路{n}号",
)
_DISHES = (("黄焖鸡米饭", 2800), ("酸菜鱼", 4800), ("珍珠奶茶", 1500), ("小笼包", 1800))
_CARRIERS = ("shunfeng", "dada", "meituan", "uu")
_STATUSES = ("delivered", "cancelled", "picked_up", "create_failed")


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def rows(n_orders: int = N_ORDERS) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, head schema, ids explicit (so rows are compared by id)."""
    rng = random.Random(19)
    out: dict[str, list[dict[str, Any]]] = {}
    add = out.setdefault
    att_id = ev_id = q_id = so_id = sb_id = 0
    for i in range(1, n_orders + 1):
        at = T0 + timedelta(hours=7 * i, minutes=rng.randrange(60))
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        phone = _phone(rng)
        addr = rng.choice(_STREETS).format(n=rng.randrange(1, 999), f=rng.randrange(1, 30))
        dish, price = rng.choice(_DISHES)
        qty = rng.randrange(1, 4)
        fee = rng.choice((500, 600, 800))
        lat, lng = 31.2 + rng.random() / 10, 121.4 + rng.random() / 10
        source = "meituan" if i % 3 == 0 else "pos"
        add("orders", []).append(
            {
                "id": i,
                "pos_order_id": f"POS-2026-{i:05d}",
                "payload_hash": f"{rng.getrandbits(256):064x}",
                "channel": source,
                "state": "delivered" if i % 5 else "cancelled",
                "attention": "",
                "created_at": at,
                "received_at": at + timedelta(seconds=2),
                "updated_at": at + timedelta(minutes=40),
                "business_date": (at + timedelta(hours=8)).date().isoformat(),
                "pickup_no": f"A{i:03d}",
                "customer_name": name,
                "customer_phone": phone,
                "address": addr,
                "lat": lat,
                "lng": lng,
                "orig_system": "gcj02",
                "orig_lat": None,
                "orig_lng": None,
                "items": [{"name": dish, "qty": qty, "price_fen": price}],
                "total_fen": price * qty + fee,
                "goods_value_fen": price * qty,
                "delivery_fee_fen": fee,
                "weight_g": 500 * qty,
                "note": f"少辣，到了打 {phone}" if i % 4 == 0 else "",
                "expected_ready_at": at + timedelta(minutes=15),
                "scheduled_at": None,
                "dispatch_mode": "auto",
                "distance_m": rng.randrange(500, 5000),
                "source": source,
                "extra": {},
                "search_text": f"pos-2026-{i:05d} a{i:03d} {name} {phone} {addr}".lower(),
            }
        )
        for n in range(1, 1 + (2 if i % 6 == 0 else 1)):
            att_id += 1
            carrier = _CARRIERS[(i + n) % len(_CARRIERS)]
            status = "cancelled" if n == 1 and i % 6 == 0 else _STATUSES[i % len(_STATUSES)]
            add("attempts", []).append(
                {
                    "id": att_id,
                    "order_id": i,
                    "attempt_no": n,
                    "carrier": carrier,
                    "idempotency_key": f"JP{i:05d}-{n}",
                    "status": status,
                    "raw_status": "4" if status == "delivered" else "5",
                    "carrier_order_id": f"{carrier[:2].upper()}{rng.getrandbits(40)}",
                    "quote_token": "",
                    "rider_name": rng.choice(_SURNAMES) + "师傅",
                    "rider_phone": _phone(rng),
                    "rider_lat": lat + 0.01,
                    "rider_lng": lng - 0.01,
                    "rider_at": at + timedelta(minutes=20),
                    "quoted_fee_fen": 900 + 100 * n,
                    "actual_fee_fen": 900 + 100 * n if status == "delivered" else None,
                    "tip_fen": 200 if i % 7 == 0 else 0,
                    "tip_count": 1 if i % 7 == 0 else 0,
                    "insurance_fee_fen": 0,
                    "cancel_fee_fen": 200 if status == "cancelled" else 0,
                    "refund_fen": 0,
                    "distance_m": 1800,
                    "created_at": at + timedelta(seconds=5),
                    "dispatched_at": at + timedelta(seconds=6),
                    "accepted_at": at + timedelta(minutes=2),
                    "picked_up_at": at + timedelta(minutes=18),
                    "finished_at": at + timedelta(minutes=39),
                    "updated_at": at + timedelta(minutes=39),
                    "cancelled_by": "merchant" if status == "cancelled" else None,
                    "cancel_reason": "顾客取消" if status == "cancelled" else "",
                    "error": "",
                    "tracking_url": "",
                    "exception": "",
                    "last_seen_at": at + timedelta(minutes=39),
                    "race_group": "",
                    "accept_deadline": None,
                    "ladder_step": 0,
                    "recreates": 0,
                    "failover_pending": False,
                    "cancel_requested_at": None,
                    "extra": {"peek": n},
                }
            )
            q_id += 1
            add("quotes", []).append(
                {
                    "id": q_id,
                    "order_id": i,
                    "carrier": carrier,
                    "fee_fen": 900 + 100 * n,
                    "distance_m": 1800,
                    "quoted_at": at + timedelta(seconds=4),
                    "expires_at": at + timedelta(minutes=10),
                    "binding": True,
                    "token": f"tok{q_id}",
                    "accept_eta_s": 120,
                    "pickup_eta_s": 900,
                    "delivery_eta_s": 2100,
                    "raw": {"fee": 9 + n},
                }
            )
        for k, kind in enumerate(("received", "dispatched", "finished")):
            ev_id += 1
            add("order_events", []).append(
                {
                    "id": ev_id,
                    "order_id": i,
                    "at": at + timedelta(minutes=20 * k),
                    "kind": kind,
                    "actor": "system",
                    "message": f"订单{kind}",
                    "data": {"k": k},
                    "dedupe_key": f"{i}:{kind}",
                }
            )
        add("print_jobs", []).append(
            {
                "id": f"{i}:kitchen:new:1",
                "order_id": i,
                "printer": "厨房",
                "template": "kitchen",
                "reason": "new",
                "copies": 1,
                "state": "done",
                "tries": 1,
                "error": "",
                "created_at": at + timedelta(seconds=3),
                "updated_at": at + timedelta(seconds=9),
                "payload": f"\x1b@{addr}\n{dish} x{qty}\n".encode("gb18030"),
            }
        )
        if source == "meituan":
            so_id += 1
            oid = f"{2701000000000000000 + i}"
            add("source_orders", []).append(
                {
                    "id": so_id,
                    "source": "meituan",
                    "source_order_id": oid,
                    "source_store_ref": "mt-store-1",
                    "display_no": i % 100,
                    "state": "completed",
                    "fulfilment": "self_delivery",
                    "order_id": i,
                    "created_at": at,
                    "updated_at": at + timedelta(minutes=40),
                    "doc": {
                        "source": "meituan",
                        "source_order_id": oid,
                        "recipient": {
                            "name": name,
                            "phones": [{"number": phone, "kind": "real", "expires_at": None}],
                            "address": addr,
                            "address_geocoded": addr,
                            "lat": lat,
                            "lng": lng,
                        },
                    },
                    "raw_payload": {"order_id": oid, "recipient_phone": phone, "address": addr},
                }
            )
            sb_id += 1
            add("source_syncback", []).append(
                {
                    "id": sb_id,
                    "source": "meituan",
                    "source_order_id": oid,
                    "attempt_id": f"JP{i:05d}-1",
                    "status": "delivered",
                    "order_id": i,
                    "payload": {"rider": "李师傅", "carrier": "dada"},
                    "tries": 1,
                    "next_at": at + timedelta(minutes=40),
                    "done_at": at + timedelta(minutes=41),
                    "parked": "",
                    "last_error": "",
                    "created_at": at + timedelta(minutes=40),
                    "updated_at": at + timedelta(minutes=41),
                }
            )
            add("source_pushes", []).append(
                {"source": "meituan", "dedupe_key": f"push:{oid}", "seen_at": at}
            )
    add("outbox", []).append(
        {
            "id": 1,
            "kind": "webhook",
            "payload": {"event": "order.delivered", "pos_order_id": "POS-2026-00001"},
            "created_at": T0,
            "next_try_at": T0,
            "tries": 0,
            "done_at": None,
            "last_error": "",
        }
    )
    add("bill_lines", []).append(
        {
            "id": 1,
            "import_id": "imp-2026-06",
            "carrier": "dada",
            "line_no": 1,
            "carrier_order_id": "DA1",
            "origin_id": "JP00001-1",
            "amount_fen": 1000,
            "bill_date": "2026-06-01",
            "matched_attempt_id": 1,
            "raw": {"金额": "10.00"},
        }
    )
    add("audit_log", []).append(
        {"id": 1, "at": T0, "actor": "manager", "action": "settings.save", "detail": {"x": 1}}
    )
    add("kv", []).append({"key": "pos.last_seq", "value": {"n": N_ORDERS}})
    add("pos_nonces", []).append({"nonce": "n-0001", "seen_at": T0})
    return out


def schema_at(engine: Engine, revision: str) -> MetaData:
    command.upgrade(alembic_config(engine), revision)
    md = MetaData()
    md.reflect(engine)
    return md


def insert_rows(engine: Engine, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """Insert ``data`` into whatever this database's schema has; returns, per table
    filled, the columns written."""
    md = MetaData()
    md.reflect(engine)
    written: dict[str, list[str]] = {}
    with engine.begin() as c:
        for name, table_rows in data.items():
            table = md.tables.get(name)
            if table is None:
                continue  # a table this revision has not got yet
            cols = [k for k in table_rows[0] if k in table.c]
            c.execute(insert(table), [{k: r[k] for k in cols} for r in table_rows])
            written[name] = cols
    return written


def make(path: Path, revision: str = "head") -> Path:
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        schema_at(engine, revision)
        insert_rows(engine, rows())
        with engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            c.exec_driver_sql("VACUUM")
    finally:
        engine.dispose()
    return path


def main() -> None:
    out = FIXTURES / f"jupei_{head_revision()}.db"
    FIXTURES.mkdir(parents=True, exist_ok=True)
    make(out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    sys.exit(0)


if __name__ == "__main__":
    main()
