"""The explicit list of carriers, by direct import: a broken carrier fails loudly here.

Each carrier package exports ``META`` (``CarrierMeta``: rules, adapter class, colour,
bill columns); ``app.core.sandbox.<id>`` is its sandbox. ``build.spec`` reads
``CARRIER_MODULES`` for its hidden imports, so a frozen bundle has every carrier.
Adding a carrier: a folder ``carriers/<id>/`` with ``META``, a sandbox, one line below.
"""

from __future__ import annotations

from app.core.carriers import dada, doordash, fengniao, meituan, sf, shansong, uber_direct, uupt
from app.core.carriers.base import CarrierAdapter, CarrierContext
from app.core.carriers.meta import CarrierMeta
from app.core.carriers.rules import CarrierRules

CARRIERS: tuple[CarrierMeta, ...] = (
    dada.META,
    shansong.META,
    sf.META,
    meituan.META,
    fengniao.META,
    uupt.META,
    doordash.META,
    uber_direct.META,
)

CARRIER_IDS: tuple[str, ...] = tuple(m.id for m in CARRIERS)
_BY_ID: dict[str, CarrierMeta] = {m.id: m for m in CARRIERS}

CARRIER_MODULES: tuple[str, ...] = tuple(
    m
    for cid in CARRIER_IDS
    for m in (
        f"app.core.carriers.{cid}",
        f"app.core.carriers.{cid}.api",
        f"app.core.carriers.{cid}.mapping",
        f"app.core.carriers.{cid}.codes",
        f"app.core.carriers.{cid}.rules",
        f"app.core.sandbox.{cid}",
    )
)

SELF_DELIVERY = "self"  # 自配送: the shop's own rider, a carrier of its own (no adapter)


def carrier(carrier_id: str) -> CarrierMeta:
    try:
        return _BY_ID[carrier_id]
    except KeyError:
        raise KeyError(f"unknown carrier {carrier_id!r}") from None


def rules(carrier_id: str) -> CarrierRules:
    return carrier(carrier_id).rules


def all_rules() -> dict[str, CarrierRules]:
    return {m.id: m.rules for m in CARRIERS}


def build_adapter(ctx: CarrierContext) -> CarrierAdapter:
    return carrier(ctx.carrier).adapter(ctx)


def display_name(carrier_id: str, lang: str = "zh") -> str:
    if carrier_id == SELF_DELIVERY:
        return "自配送" if lang == "zh" else "Self delivery"
    return carrier(carrier_id).name(lang)
