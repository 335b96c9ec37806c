"""Pure parsing and validation of an order payload (POS API and the GUI's manual entry).

``parse_order`` turns the JSON object into a domain ``Order`` or raises
``OrderValidationError(code, message, field, status)``: 400 when the body is not a JSON
object at all, 422 when a field is missing or invalid. Nothing here does I/O. Unknown
fields are ignored (vendors may send more than we read). Money is integer fen only.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import datetime
from enum import Enum
from typing import Any

from app.core.clock import utc
from app.core.domain import (
    Address,
    Channel,
    CoordSystem,
    Customer,
    DispatchMode,
    Item,
    Order,
)
from app.core.domain.category import EXTRA_KEY as CATEGORY_KEY
from app.core.domain.category import parse_category
from app.core.geo import to_gcj02

MAX_FEN = 10**10  # 100 million yuan: far above any real order, within BIGINT
MAX_ITEMS = 500
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_PHONE = re.compile(r"[0-9+\-() ,_#*]{3,40}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def payload_hash(payload: Any) -> str:
    """The fingerprint that tells a retried order (same hash) from a conflicting one.
    Lives beside the parser, not in storage, so every intake path computes it the same way.
    Raises ``OrderValidationError`` (400) for a lone surrogate in a field we do not read."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    try:
        return hashlib.sha256(text.encode()).hexdigest()
    except UnicodeEncodeError:
        raise OrderValidationError("malformed", "body holds invalid Unicode", None, 400) from None


class OrderValidationError(ValueError):
    """A payload we refuse; ``status`` is the HTTP status the API answers with."""

    def __init__(self, code: str, message: str, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.code, self.message, self.field, self.status = code, message, field, status

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


def _invalid(field: str, message: str) -> OrderValidationError:
    return OrderValidationError("invalid_field", message, field)


def _missing(field: str) -> OrderValidationError:
    return OrderValidationError("missing_field", f"{field} is required", field)


def _get(obj: dict[str, Any], key: str, prefix: str, *, required: bool) -> Any:
    value = obj.get(key)
    if value is None and required:
        raise _missing(prefix + key)
    return value


def _text(
    obj: dict[str, Any],
    key: str,
    prefix: str = "",
    *,
    max_len: int,
    required: bool = False,
    min_len: int = 0,
    multiline: bool = False,
) -> str:
    field = prefix + key
    value = _get(obj, key, prefix, required=required)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(field, f"{field} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(field, f"{field} is not valid Unicode text") from None
    bad = _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value))
    if bad:
        raise _invalid(field, f"{field} contains control characters")
    value = value.strip()
    if len(value) < min_len:
        raise (_missing(field) if required else _invalid(field, f"{field} is empty"))
    if len(value) > max_len:
        raise _invalid(field, f"{field} is longer than {max_len} characters")
    return value


def _int(
    obj: dict[str, Any], key: str, prefix: str = "", *, lo: int, hi: int, default: int | None = None
) -> int:
    field = prefix + key
    value = _get(obj, key, prefix, required=default is None)
    if value is None:
        assert default is not None
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, f"{field} must be an integer")
    if not lo <= value <= hi:
        raise _invalid(field, f"{field} must be between {lo} and {hi}")
    return value


def _coord(obj: dict[str, Any], key: str, prefix: str, bound: float) -> float:
    field = prefix + key
    value = _get(obj, key, prefix, required=True)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(field, f"{field} must be a number")
    value = float(value)
    if not math.isfinite(value) or abs(value) > bound:
        raise _invalid(field, f"{field} must be within ±{bound:g}")
    return value


def _choice(obj: dict[str, Any], key: str, enum: type[Enum], default: Any, prefix: str = "") -> Any:
    field = prefix + key
    value = obj.get(key)
    if value is None:
        if default is None:
            raise _missing(field)
        return enum(default)
    allowed = [e.value for e in enum]
    if not isinstance(value, str) or value not in allowed:
        raise _invalid(field, f"{field} must be one of {', '.join(allowed)}")
    return enum(value)


def parse_time(obj: dict[str, Any], key: str, *, required: bool = False) -> datetime | None:
    """An RFC 3339 timestamp with an explicit offset -> aware UTC."""
    value = _get(obj, key, "", required=required)
    if value is None:
        return None
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise _invalid(
            key, f"{key} must be RFC 3339 with an offset, e.g. 2026-11-24T12:00:00+08:00"
        )
    try:
        text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
        return utc(datetime.fromisoformat(text.replace("t", "T")))
    except (ValueError, OverflowError):
        raise _invalid(key, f"{key} is not a real date and time") from None


def _object(value: Any, field: str, *, status: int = 422) -> dict[str, Any]:
    if not isinstance(value, dict):
        code = "malformed" if status == 400 else "invalid_field"
        raise OrderValidationError(code, f"{field} must be a JSON object", field, status)
    return value


def parse_customer(value: Any) -> Customer:
    if value is None:
        raise _missing("customer")
    c = _object(value, "customer")
    p = "customer."
    name = _text(c, "name", p, max_len=100, required=True, min_len=1)
    phone = _text(c, "phone", p, max_len=40, required=True, min_len=1)
    if _PHONE.fullmatch(phone) is None:
        raise _invalid(p + "phone", "customer.phone must be 3-40 digits (+ - ( ) , _ # * allowed)")
    text = _text(c, "address", p, max_len=300, required=True, min_len=1)
    lat = _coord(c, "lat", p, 90.0)
    lng = _coord(c, "lng", p, 180.0)
    system = _choice(c, "coord_system", CoordSystem, CoordSystem.GCJ02, p)
    g_lat, g_lng = to_gcj02(system.value, lat, lng)
    return Customer(name, phone, Address(text, g_lat, g_lng, system, lat, lng))


def parse_items(value: Any) -> tuple[Item, ...]:
    if value is None:
        raise _missing("items")
    if not isinstance(value, list):
        raise _invalid("items", "items must be an array")
    if len(value) > MAX_ITEMS:
        raise _invalid("items", f"items holds more than {MAX_ITEMS} entries")
    out = []
    for i, raw in enumerate(value):
        p = f"items[{i}]."
        obj = _object(raw, f"items[{i}]")
        name = _text(obj, "name", p, max_len=100, required=True, min_len=1)
        qty = _int(obj, "qty", p, lo=1, hi=9999)
        price = _int(obj, "price_fen", p, lo=0, hi=MAX_FEN)
        out.append(Item(name, qty, price))
    return tuple(out)


# other spellings a merchant's developer may send (issue 17 writes ``mini_program``)
CHANNEL_ALIASES = {"mini_program": "miniprogram"}


def _channel_alias(obj: dict[str, Any]) -> dict[str, Any]:
    raw = obj.get("channel")
    if isinstance(raw, str) and raw in CHANNEL_ALIASES:
        return {"channel": CHANNEL_ALIASES[raw]}
    return obj


def parse_order(payload: Any, *, default_dispatch: str | DispatchMode = "manual") -> Order:
    """Validate ``payload`` (the decoded JSON body) and build the ``Order`` to store."""
    obj = _object(payload, "body", status=400)
    pos_order_id = _text(obj, "pos_order_id", max_len=64, required=True, min_len=1)
    total = _int(obj, "total_fen", lo=0, hi=MAX_FEN)
    return Order(
        pos_order_id=pos_order_id,
        channel=_choice(_channel_alias(obj), "channel", Channel, None),
        created_at=parse_time(obj, "created_at", required=True),  # type: ignore[arg-type]
        customer=parse_customer(obj.get("customer")),
        items=parse_items(obj.get("items")),
        total_fen=total,
        goods_value_fen=_int(obj, "goods_value_fen", lo=0, hi=MAX_FEN, default=total),
        delivery_fee_fen=_int(obj, "delivery_fee_fen", lo=0, hi=MAX_FEN, default=0),
        weight_g=_int(obj, "weight_g", lo=1, hi=200_000, default=1000),
        note=_text(obj, "note", max_len=500, multiline=True),
        pickup_no=_text(obj, "pickup_no", max_len=32),
        expected_ready_at=parse_time(obj, "expected_ready_at"),
        scheduled_at=parse_time(obj, "scheduled_at"),
        dispatch_mode=_choice(obj, "dispatch", DispatchMode, DispatchMode(default_dispatch)),
        extra=_category(obj),
    )


def _category(obj: dict[str, Any]) -> dict[str, Any]:
    """Optional ``category`` (id or Chinese name) -> ``{"category": id}`` for Order.extra."""
    raw = obj.get("category")
    if raw is None:
        return {}
    category = parse_category(raw)
    if category is None:
        raise _invalid(
            "category",
            "category must be one of food, fresh, market, flowers, cake, documents, medicine "
            "(or 餐饮, 生鲜, 商超, 鲜花, 蛋糕, 文件, 药品)",
        )
    return {CATEGORY_KEY: category.value}
