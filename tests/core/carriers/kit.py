"""The carrier test kit: shared builders, an adapter on ``httpx.MockTransport`` and the
per-operation golden harness, so a carrier's test file holds only its facts (worked
signature examples, quirks) and ``test_contract.py`` the behaviours every carrier shares.

Golden data convention: ``tests/data/carriers/<id>/<op>.{request,response}.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from app.core.carriers.base import CarrierAdapter, CarrierContext
from app.core.carriers.http import CarrierHttp, HttpResponse
from app.core.carriers.registry import carrier
from app.core.clock import Clock
from app.core.domain import (
    Address,
    Channel,
    Customer,
    DeliveryAttempt,
    Item,
    Order,
    Store,
)
from app.core.sandbox.engine import SandboxEngine
from tests.fakes.clock import FakeClock

DATA = Path(__file__).parents[2] / "data" / "carriers"
T0 = datetime(2026, 11, 24, 3, 55, tzinfo=UTC)

STORE = Store(
    "聚配测试店", "上海市黄浦区河南中路1号", "02112345678", "上海市黄浦区", "310100", 31.2304, 121.4737
)  # fmt: skip

Handler = Callable[[httpx.Request], httpx.Response]


def customer(name: str, phone: str, address: str, lat: float, lng: float) -> Customer:
    return Customer(name, phone, Address(address, lat, lng))


_ORDER = Order(
    pos_order_id="JP1001",
    channel=Channel.POS,
    created_at=T0,
    customer=customer("张三", "13800001111", "上海市黄浦区南京东路100号", 31.2380, 121.4800),
    items=(Item("牛肉面", 2, 1800),),
    total_fen=3600,
    goods_value_fen=3600,
    weight_g=1500,
    note="少放辣",
    pickup_no="#M001",
)


def make_order(note: str = "少放辣", **changes: Any) -> Order:
    """A POS order ~1.5 km from ``STORE`` (the idempotency key goes to ``quote(key=)``);
    ``changes`` replace fields, so each carrier's golden data names only what differs."""
    return replace(_ORDER, note=note, **changes)


# The stores and orders each carrier's golden files were recorded with (data, not code:
# the request fixtures hold these addresses, names and amounts byte for byte).
_ZHENGZHOU = "聚配测试店", "郑州市金水区花园路1号", "037112345678", "郑州市金水区", "410100"
_BEIJING_EAST = "聚配小馆", "北京市东城区东长安街1号", "01065550000", "北京", "010"
STORES: dict[str, Store] = {
    "dada": Store("聚配测试店", "上海市黄浦区人民大道1号", "02112345678", "上海市", "021", 31.2304, 121.4737),
    "shansong": Store("聚配测试店", "北京市朝阳区建国路1号", "01012345678", "北京市", "010", 39.9087, 116.4600),
    "fengniao": Store(*_ZHENGZHOU, 34.7725, 113.6645),
    "uupt": Store(*_ZHENGZHOU, 34.7725, 113.6645),
    "sf": Store(*_BEIJING_EAST, 39.9087, 116.3975),
    "meituan": Store(*_BEIJING_EAST, 39.9087, 116.3975),
    "doordash": Store("Golden Dragon", "901 Market St, San Francisco, CA 94103", "+14155550100", "San Francisco", "", 37.7838, -122.4090, currency="USD", country="US"),
}  # fmt: skip
_ZZ_CUSTOMER = customer("张三", "13800000000", "郑州市金水区经三路10号", 34.7800, 113.6800)
_BJ_CUSTOMER = customer("张三", "13800000000", "北京市朝阳区建国路88号", 39.9075, 116.4600)
_BJ_ORDER: dict[str, Any] = {
    "pos_order_id": "POS-1001",
    "created_at": datetime(2025, 11, 24, 16, 0, tzinfo=UTC),
    "customer": _BJ_CUSTOMER,
    "items": (Item("宫保鸡丁", 2, 2800), Item("米饭", 2, 200)),
    "total_fen": 6000,
    "goods_value_fen": 0,
    "pickup_no": "A12",
}
ORDERS: dict[str, Order] = {
    "dada": make_order(created_at=datetime(2026, 11, 24, 4, 0, tzinfo=UTC)),
    "shansong": make_order(
        "轻拿轻放",
        pos_order_id="JP2001",
        created_at=datetime(2026, 11, 24, 4, 0, tzinfo=UTC),
        customer=customer("李四", "13900002222", "北京市朝阳区光华路9号", 39.9150, 116.4500),
        items=(Item("蛋糕", 1, 19800),),
        total_fen=19800,
        goods_value_fen=19800,
        weight_g=2100,
        pickup_no="#S12",
    ),
    "fengniao": make_order("", pos_order_id="POS-1001", customer=_ZZ_CUSTOMER, pickup_no="A12"),
    "uupt": make_order("不要辣", pos_order_id="POS-1001", customer=_ZZ_CUSTOMER, pickup_no="A12"),
    "sf": make_order("少辣", **_BJ_ORDER),
    "meituan": make_order("少辣", channel=Channel.MEITUAN, **_BJ_ORDER),
    "doordash": make_order(
        "Ring the bell",
        pos_order_id="POS-1001",
        customer=customer(
            "Ada Lovelace",
            "4155550123",
            "1 Dr Carlton B Goodlett Pl, San Francisco, CA 94102",
            37.7793,
            -122.4193,
        ),
        items=(Item("Kung Pao Chicken", 2, 1450),),
        total_fen=2900,
        goods_value_fen=2900,
        pickup_no="A12",
    ),
}


def attempt(carrier_id: str, key: str = "JP1001-1", **kw: Any) -> DeliveryAttempt:
    return DeliveryAttempt(order_id=1, attempt_no=1, carrier=carrier_id, idempotency_key=key, **kw)


class EngineClock:
    """The adapter's clock follows the sandbox's simulated wall time."""

    def __init__(self, engine: SandboxEngine) -> None:
        self.engine = engine

    def now(self) -> datetime:
        return self.engine.wall()

    def monotonic(self) -> float:
        return self.engine.now()


def adapter(
    carrier_id: str,
    http: CarrierHttp,
    *,
    base_url: str = "https://carrier.test",
    credentials: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    callback_url: str = "",
    store: Store = STORE,
    **options: object,
) -> CarrierAdapter:
    """The carrier's adapter with its rehearsal credentials (or ``credentials``)."""
    meta = carrier(carrier_id)
    ctx = CarrierContext(
        carrier=carrier_id,
        base_url=base_url,
        credentials=credentials or meta.rules.rehearsal_credentials,
        store=store,
        http=http,
        clock=clock or FakeClock(T0),
        callback_url=callback_url,
        options=options,
    )
    return meta.adapter(ctx)


class MockHttp(CarrierHttp):
    """The real client on ``httpx.MockTransport``; it also notes each call's
    ``mutating`` flag, which decides retries and never reaches the wire."""

    def __init__(self, handler: Handler) -> None:
        super().__init__(transport=httpx.MockTransport(handler))
        self.mutating: list[bool] = []

    async def post(self, carrier: str, url: str, *, mutating: bool, **kw: Any) -> HttpResponse:
        self.mutating.append(mutating)
        return await super().post(carrier, url, mutating=mutating, **kw)


def mock_http(handler: Handler) -> MockHttp:
    return MockHttp(handler)


# ---------------------------------------------------------------------------- golden
def fixture(carrier_id: str, name: str) -> Any:
    return json.loads((DATA / carrier_id / f"{name}.json").read_text(encoding="utf-8"))


class Golden:
    """Per-operation golden harness (karrio's shape) as a ``MockTransport`` handler:
    each request is recorded by operation (``op_of``) and answered with the canned
    ``<op>.response.json`` (or ``answer(op)``); ``check()`` compares every recorded JSON
    body with ``<op>.request.json`` field for field, ``check_exact(op, ext)`` one body
    byte for byte with ``<op>.request.<ext>`` (``REGEN_GOLDEN=1`` rewrites them instead)."""

    def __init__(
        self,
        carrier_id: str,
        op_of: Callable[[httpx.Request], str],
        answer: Callable[[str], bytes] | None = None,
    ) -> None:
        self.carrier_id = carrier_id
        self.op_of = op_of
        self.answer = answer
        self.order: list[str] = []  # operations in the order they were called
        self.requests: dict[str, httpx.Request] = {}
        self.sent: dict[str, Any] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        op = self.op_of(request)
        self.order.append(op)
        self.requests[op] = request
        if self.answer is not None:
            return httpx.Response(200, content=self.answer(op))
        self.sent[op] = json.loads(request.content)
        path = DATA / self.carrier_id / f"{op}.response.json"
        return httpx.Response(200, content=path.read_bytes())

    def check(self) -> None:
        assert self.sent, "no request was sent"
        for op, body in self.sent.items():
            path = DATA / self.carrier_id / f"{op}.request.json"
            if os.environ.get("REGEN_GOLDEN"):
                path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", "utf-8")
            assert body == json.loads(path.read_text("utf-8")), op

    def check_exact(self, op: str, ext: str = "json") -> bytes:
        """The body sent for ``op`` equals the golden file to the byte; returns it."""
        content = self.requests[op].content
        path = DATA / self.carrier_id / f"{op}.request.{ext}"
        if os.environ.get("REGEN_GOLDEN"):
            path.write_bytes(content + b"\n")
        assert content == path.read_bytes().rstrip(b"\n"), op
        return content


def last_path_segment(request: httpx.Request) -> str:
    return request.url.path.rsplit("/", 1)[-1]


def golden(
    carrier_id: str,
    op_of: Callable[[httpx.Request], str] = last_path_segment,
    answer: Callable[[str], bytes] | None = None,
) -> Golden:
    return Golden(carrier_id, op_of, answer)


def golden_adapter(
    carrier_id: str, path_ops: Mapping[str, str], answer: bytes, **kw: Any
) -> tuple[Any, Golden, MockHttp]:
    """The carrier's adapter on a ``Golden`` that names each request by its URL path
    (``path_ops``) and answers every call with ``answer``; ``kw`` go to ``adapter()``."""
    g = golden(carrier_id, lambda r: path_ops[r.url.path], lambda op: answer)
    http = mock_http(g)
    return adapter(carrier_id, http, **kw), g, http


def canned(carrier_id: str, op: str) -> Any:
    """A carrier's canned answer ``<op>.response.json``, decoded."""
    return json.loads((DATA / carrier_id / f"{op}.response.json").read_text("utf-8"))
