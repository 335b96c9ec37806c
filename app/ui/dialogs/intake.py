"""Phone and simulated orders take the POS API's path: ``parse_order`` validation, then
``service.receive_order`` with the same payload hash the listener computes."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime, timedelta


def payload_hash(payload) -> str:
    """Identical to ``app.core.storage.repos.payload_hash`` (which imports sqlalchemy)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def default_dispatch(service) -> str:
    return service.settings.pos.default_dispatch or service.settings.dispatch.mode


async def submit_payload(service, payload: dict, source: str):
    """Validate and store; raises ``OrderValidationError`` with the field at fault."""
    from app.core.pos.schema import parse_order

    order = parse_order(payload, default_dispatch=default_dispatch(service))
    return await service.receive_order(order, payload_hash(payload), source)


def simulated_payload(service, seq: int, rng: random.Random) -> dict:
    """``app.core.pos.sim.make_order_payload`` when present, else a local stand-in."""
    try:
        from app.core.pos.sim import make_order_payload
    except ImportError:
        make_order_payload = None
    store = service.settings.store
    if make_order_payload is not None:
        return make_order_payload(rng, store, seq)
    return _fallback_payload(rng, store, seq)


_DISHES = [("宫保鸡丁", 3800), ("鱼香肉丝", 3200), ("麻婆豆腐", 2200), ("米饭", 200),
           ("酸辣汤", 1800), ("小笼包", 2600), ("红烧肉", 4800)]  # fmt: skip
_STREETS = [
    "南京东路",
    "西藏中路",
    "福州路",
    "九江路",
    "汉口路",
    "延安东路",
    "淮海中路",
    "人民大道",
]
_NAMES = ["张", "王", "李", "赵", "陈", "刘", "周", "吴"]


def _fallback_payload(rng: random.Random, store, seq: int) -> dict:
    items = [
        {"name": n, "qty": rng.randint(1, 2), "price_fen": p} for n, p in rng.sample(_DISHES, 2)
    ]
    total = sum(i["qty"] * i["price_fen"] for i in items)
    now = datetime.now(UTC).replace(microsecond=0)
    return {
        "pos_order_id": f"SIM-{now:%H%M%S}-{seq:04d}",
        "created_at": now.isoformat(),
        "channel": "pos",
        "pickup_no": f"A{seq:02d}",
        "total_fen": total,
        "items": items,
        "customer": {
            "name": rng.choice(_NAMES) + "先生",
            "phone": f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            "address": f"{store.city}{rng.choice(_STREETS)}{rng.randint(1, 800)}号",
            "lat": round(store.lat + rng.uniform(-0.025, 0.025), 6),
            "lng": round(store.lng + rng.uniform(-0.03, 0.03), 6),
            "coord_system": "gcj02",
        },
        "expected_ready_at": (now + timedelta(minutes=10)).isoformat(),
    }
