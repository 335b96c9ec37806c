"""The explicit list of carriers. No entry points, no scanning: ``build.spec`` reads
``CARRIER_MODULES`` for its hidden imports, so a frozen bundle has every carrier.

Each carrier package exports ``RULES`` (``CarrierRules``) and ``Adapter`` (a class
taking a ``CarrierContext``); ``app.core.sandbox.<id>`` exports ``make_app(engine)``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from app.core.carriers.base import CarrierAdapter, CarrierContext
from app.core.carriers.rules import CarrierRules

CARRIER_IDS: tuple[str, ...] = ("dada", "shansong", "sf", "meituan", "fengniao", "uupt")

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


def carrier_module(carrier_id: str) -> ModuleType:
    if carrier_id not in CARRIER_IDS:
        raise KeyError(f"unknown carrier {carrier_id!r}")
    return importlib.import_module(f"app.core.carriers.{carrier_id}")


def rules(carrier_id: str) -> CarrierRules:
    return carrier_module(carrier_id).RULES


def all_rules() -> dict[str, CarrierRules]:
    return {cid: rules(cid) for cid in CARRIER_IDS}


def build_adapter(ctx: CarrierContext) -> CarrierAdapter:
    return carrier_module(ctx.carrier).Adapter(ctx)


def display_name(carrier_id: str, lang: str = "zh") -> str:
    if carrier_id == SELF_DELIVERY:
        return "自配送" if lang == "zh" else "Self delivery"
    r = rules(carrier_id)
    return r.name_zh if lang == "zh" else r.name_en
