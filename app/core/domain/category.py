"""Goods categories: what the parcel is, so each carrier gets its own goods-type code.

An order's category comes from the POS ``category`` field (kept in ``Order.extra``), else
the store's ``[store] default_category``, else 餐饮. Each carrier maps it to its own code
in its ``mapping`` (the tables live in the carrier's ``rules.Options``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from app.core.domain.order import Order, Store


class GoodsCategory(StrEnum):
    FOOD = "food"  # 餐饮
    FRESH = "fresh"  # 生鲜
    MARKET = "market"  # 商超
    FLOWERS = "flowers"  # 鲜花
    CAKE = "cake"  # 蛋糕
    DOCUMENTS = "documents"  # 文件
    MEDICINE = "medicine"  # 药品


LABEL_ZH: dict[GoodsCategory, str] = {
    GoodsCategory.FOOD: "餐饮",
    GoodsCategory.FRESH: "生鲜",
    GoodsCategory.MARKET: "商超",
    GoodsCategory.FLOWERS: "鲜花",
    GoodsCategory.CAKE: "蛋糕",
    GoodsCategory.DOCUMENTS: "文件",
    GoodsCategory.MEDICINE: "药品",
}
# the POS may send the Chinese name as well as the id
ALIASES: dict[str, GoodsCategory] = {zh: c for c, zh in LABEL_ZH.items()}

V = TypeVar("V", int, str)

EXTRA_KEY = "category"
DEFAULT = GoodsCategory.FOOD


def parse_category(value: object) -> GoodsCategory | None:
    """An id (``cake``) or Chinese name (``蛋糕``) -> the category; anything else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in ALIASES:
        return ALIASES[text]
    try:
        return GoodsCategory(text.lower())
    except ValueError:
        return None


def goods_category(order: Order, store: Store | None) -> GoodsCategory:
    """The order's own category, else the store default, else 餐饮."""
    return (
        parse_category(order.extra.get(EXTRA_KEY))
        or parse_category(store.default_category if store else None)
        or DEFAULT
    )


def category_code(
    category: GoodsCategory, table: Mapping[str, V], overrides: Mapping[str, object], fallback: V
) -> V:
    """A carrier's code for ``category``: the configured override (``[carriers.<id>.options]``,
    keyed by category id), else the carrier's documented table, else ``fallback``."""
    if category.value in overrides:
        given = overrides[category.value]
        # TOML may give a number as text; keep the table's type
        return type(fallback)(str(given).strip())
    return table.get(category.value, fallback)
