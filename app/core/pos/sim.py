"""A sample POS: builds realistic signed orders and posts them at a given rate.

``python -m app pos-sim --rate R --count N [--url] [--secret] [--concurrency] [--dup-rate]
[--dispatch]``. ``make_order_payload`` is reused by the GUI's "simulate POS order" and by
benchmarks; ``post_orders`` by tests and benchmarks."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from app.core.domain import Address, Channel, Customer, Item, Order
from app.core.pos.signature import signed_headers

if TYPE_CHECKING:
    from app.core.config import Settings

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "婷", "强", "丽", "涛"]
_ROADS = [
    "南京东路",
    "西藏中路",
    "福州路",
    "九江路",
    "河南中路",
    "淮海中路",
    "延安东路",
    "人民大道",
    "北京东路",
    "四川中路",
    "汉口路",
    "浙江中路",
]
_PLACES = ["小区", "大厦", "公寓", "花园", "广场"]
_MENU = [
    ("宫保鸡丁", 3800),
    ("鱼香肉丝", 3200),
    ("麻婆豆腐", 2200),
    ("糖醋里脊", 4200),
    ("小笼包", 2500),
    ("葱油拌面", 1800),
    ("红烧肉", 4800),
    ("酸辣汤", 1600),
    ("扬州炒饭", 2600),
    ("米饭", 200),
    ("可乐", 500),
    ("青菜", 1500),
]
_NOTES = ["", "", "", "少辣", "不要葱", "多放醋", "放门口，谢谢", "到了打电话"]
_CHANNELS = ["pos", "pos", "pos", "meituan", "eleme", "miniprogram", "phone"]


def sample_customer(rng: random.Random, store: Any) -> dict[str, Any]:
    """A customer within ~4 km of the store (the POS feed, and rehearsal platform orders)."""
    # within ~4 km of the store (GCJ-02, like the store's own coordinates)
    r_m, bearing = 4000 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    d_lat = r_m * math.cos(bearing) / 111_320
    d_lng = r_m * math.sin(bearing) / (111_320 * math.cos(math.radians(store.lat)))
    road = rng.choice(_ROADS)
    address = (
        f"{store.city}{road}{rng.randint(1, 999)}号"
        f"{rng.choice(_PLACES)}{rng.randint(1, 30)}号楼{rng.randint(101, 2806)}室"
    )
    return {
        "name": rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2))),
        "phone": "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)),
        "address": address,
        "lat": round(store.lat + d_lat, 6),
        "lng": round(store.lng + d_lng, 6),
        "coord_system": "gcj02",
    }


def test_order(store: Any, now: datetime) -> Order:
    """A small order 1.5 km from the store: what "test connection" asks a quote for."""
    return Order(
        pos_order_id="JUPEI-TEST", channel=Channel.OTHER, created_at=now,
        customer=Customer("测试", "13800000000",
                          Address(store.address, store.lat + 0.01, store.lng + 0.01)),
        items=(Item("测试商品", 1, 1000),), total_fen=1000, goods_value_fen=1000,
    )  # fmt: skip


def make_order_payload(
    rng: random.Random,
    store: Any,
    seq: int,
    *,
    now: datetime | None = None,
    dispatch: str | None = None,
) -> dict[str, Any]:
    """One realistic order around ``store`` (anything with ``lat``, ``lng``, ``city``)."""
    now = now or datetime.now(UTC)
    picks = rng.sample(_MENU, rng.randint(1, 4))
    items: list[dict[str, Any]] = [
        {"name": n, "qty": rng.randint(1, 3), "price_fen": p} for n, p in picks
    ]
    total = sum(i["qty"] * i["price_fen"] for i in items)
    fee = rng.choice([0, 300, 500, 600])
    payload = {
        "pos_order_id": f"SIM{now:%Y%m%d}-{rng.getrandbits(32):08x}-{seq:06d}",
        "channel": rng.choice(_CHANNELS),
        "created_at": now.astimezone().isoformat(timespec="seconds"),
        "pickup_no": f"A{seq % 1000:03d}",
        "customer": sample_customer(rng, store),
        "items": items,
        "total_fen": total + fee,
        "goods_value_fen": total,
        "delivery_fee_fen": fee,
        "weight_g": 300 * sum(i["qty"] for i in items) + 200,
        "note": rng.choice(_NOTES),
        "expected_ready_at": (now + timedelta(minutes=rng.randint(10, 25))).isoformat(
            timespec="seconds"
        ),
    }
    if dispatch:
        payload["dispatch"] = dispatch
    return payload


@dataclass
class SimStats:
    sent: int = 0
    codes: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # transport failures (no HTTP status)
    latencies_ms: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    ok_ids: list[str] = field(default_factory=list)  # pos_order_ids answered 2xx

    def count(self, lo: int, hi: int) -> int:
        return sum(n for c, n in self.codes.items() if lo <= c <= hi)

    def percentile(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        if not xs:
            return 0.0
        return xs[min(len(xs) - 1, max(0, math.ceil(p / 100 * len(xs)) - 1))]

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed_s if self.elapsed_s else 0.0

    def summary(self) -> str:
        c = self.codes.get
        return (
            f"sent {self.sent}: 201={c(201, 0)} 200={c(200, 0)} 409={c(409, 0)} "
            f"4xx={self.count(400, 499) - c(409, 0)} 5xx={self.count(500, 599)} "
            f"errors={self.errors} | {self.rate:.1f} orders/s | "
            f"p50 {self.percentile(50):.1f} ms, p99 {self.percentile(99):.1f} ms"
        )


async def _post_one(
    client: httpx.AsyncClient, url: str, secret: str, payload: dict[str, Any], stats: SimStats
) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = signed_headers(secret, body, now=time.time())
    headers["Content-Type"] = "application/json"
    t0 = time.perf_counter()
    try:
        r = await client.post(url, content=body, headers=headers)
    except httpx.HTTPError:
        stats.errors += 1
        return
    finally:
        stats.sent += 1
    stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
    stats.codes[r.status_code] = stats.codes.get(r.status_code, 0) + 1
    if 200 <= r.status_code < 300:
        stats.ok_ids.append(payload["pos_order_id"])


async def post_orders(
    url: str,
    secret: str,
    payloads: list[dict[str, Any]],
    *,
    rate: float,
    concurrency: int,
    on_response: Callable[[SimStats], object] | None = None,
) -> SimStats:
    """POST each payload to ``url`` (…/api/v1/orders) at ``rate`` per second (0: as fast
    as possible) with at most ``concurrency`` in flight. ``on_response(stats)`` runs after
    each answer (tests use it to SIGKILL mid-run)."""
    stats = SimStats()
    todo = iter(enumerate(payloads))
    # one client (one keep-alive connection) per worker: a single shared httpx pool
    # serialises badly under high concurrency and would measure itself, not the server.
    # Clients are built before the clock starts, sharing one TLS context (building one
    # per client costs ~10 ms of blocked loop each).
    tls = ssl.create_default_context()
    n = max(1, min(concurrency, len(payloads)))
    clients = [httpx.AsyncClient(timeout=30, verify=tls) for _ in range(n)]
    t0 = time.perf_counter()

    async def worker(client: httpx.AsyncClient) -> None:
        async with client:
            for i, p in todo:
                if rate > 0:
                    delay = t0 + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await _post_one(client, url, secret, p, stats)
                if on_response is not None:
                    on_response(stats)

    await asyncio.gather(*(worker(c) for c in clients))
    stats.elapsed_s = time.perf_counter() - t0
    return stats


def build_payloads(
    count: int,
    store: Any,
    *,
    dup_rate: float = 0.0,
    seed: int | None = None,
    dispatch: str | None = None,
) -> list[dict[str, Any]]:
    """``count`` posts; a ``dup_rate`` share repeats an earlier payload byte for byte."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for seq in range(count):
        if out and rng.random() < dup_rate:
            out.append(rng.choice(out))
        else:
            out.append(make_order_payload(rng, store, seq, dispatch=dispatch))
    return out


def _secret(args: argparse.Namespace, settings: Settings) -> str:
    if getattr(args, "secret", ""):
        return str(args.secret)
    if os.environ.get("JUPEI_POS__SECRET"):
        return os.environ["JUPEI_POS__SECRET"]
    from app.core.secrets import KeyringSecretStore

    value = KeyringSecretStore().get("pos.secret")
    if not value:
        raise SystemExit("no POS secret: pass --secret or set JUPEI_POS__SECRET")
    return value


def main(args: argparse.Namespace) -> int:
    from app.core.config import load_settings

    settings = load_settings(getattr(args, "config", None))
    base = (args.url or f"http://{settings.pos.host}:{settings.pos.port}").rstrip("/")
    url = base if base.endswith("/orders") else f"{base}/api/v1/orders"
    payloads = build_payloads(
        args.count, settings.store, dup_rate=args.dup_rate, dispatch=args.dispatch
    )
    stats = asyncio.run(
        post_orders(
            url, _secret(args, settings), payloads, rate=args.rate, concurrency=args.concurrency
        )
    )
    print(stats.summary())
    return 0 if stats.count(500, 599) == 0 and stats.errors == 0 else 1
