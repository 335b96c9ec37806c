"""Issue 18 item 9: an order's goods category (POS ``category``, else ``[store]
default_category``) reaches each carrier as that carrier's own goods-type code, with the
carrier's special handling (蛋糕, 药品) where it has one. Before: one fixed code per carrier."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.carriers.base import RejectedError
from app.core.carriers.dada import mapping as dada
from app.core.carriers.dada.rules import Options as DadaOptions
from app.core.carriers.fengniao import mapping as fengniao
from app.core.carriers.gateway import store_from_settings
from app.core.carriers.meituan import mapping as meituan
from app.core.carriers.meituan.rules import Options as MeituanOptions
from app.core.carriers.registry import carrier
from app.core.carriers.sf import mapping as sf
from app.core.carriers.sf.rules import Options as SfOptions
from app.core.carriers.shansong import mapping as shansong
from app.core.carriers.shansong.rules import Options as ShansongOptions
from app.core.carriers.uupt import mapping as uupt
from app.core.carriers.uupt.rules import Options as UuOptions
from app.core.config import Settings, StoreSettings
from app.core.domain import GoodsCategory, Order, goods_category
from app.core.pos.openapi import spec
from app.core.pos.schema import OrderValidationError, parse_order
from tests.core.carriers.kit import ORDERS, STORES, attempt, make_order
from tests.fakes.pos import payload

NOW = int(datetime(2026, 11, 24, 4, 0, tzinfo=UTC).timestamp())
CATEGORIES = [c.value for c in GoodsCategory]


def of(cid: str, category: str | None) -> Order:
    """The carrier's golden order, of ``category`` (None: the order names none)."""
    return replace(ORDERS[cid], extra={} if category is None else {"category": category})


def creds(cid: str) -> dict[str, str]:
    return dict(carrier(cid).rules.rehearsal_credentials)


# ------------------------------------------------------------------ where the category comes from
def test_pos_category_is_parsed_by_id_or_chinese_name_and_checked():
    assert parse_order(payload(category="cake"), default_dispatch="manual").extra == {
        "category": "cake"
    }
    assert parse_order(payload(category="药品"), default_dispatch="manual").extra == {
        "category": "medicine"
    }
    assert parse_order(payload(), default_dispatch="manual").extra == {}
    with pytest.raises(OrderValidationError) as ei:
        parse_order(payload(category="火锅"), default_dispatch="manual")
    assert ei.value.field == "category"


def test_openapi_documents_the_optional_category():
    order_in = spec()["components"]["schemas"]["OrderIn"]
    prop = order_in["properties"]["category"]
    assert "category" not in order_in["required"]
    assert {"food", "cake", "medicine", "蛋糕", "药品"} <= set(prop["enum"])


def test_store_default_category_is_one_of_the_ids():
    with pytest.raises(ValidationError):
        StoreSettings(default_category="火锅")  # type: ignore[arg-type]


def test_order_category_wins_over_store_default_then_food():
    store = store_from_settings(Settings(store=StoreSettings(default_category="flowers")))
    assert store.default_category == "flowers"
    assert goods_category(of("dada", "cake"), store) is GoodsCategory.CAKE
    assert goods_category(of("dada", None), store) is GoodsCategory.FLOWERS
    assert goods_category(of("dada", None), replace(store, default_category="")) is (
        GoodsCategory.FOOD
    )


# ------------------------------------------------------------------ each carrier's code
DADA = {"food": 1, "fresh": 13, "market": 31, "flowers": 3, "cake": 21, "documents": 8,
        "medicine": 20}  # fmt: skip
SHANSONG = {"food": 6, "fresh": 16, "market": 15, "flowers": 7, "cake": 5, "documents": 1,
            "medicine": 13}  # fmt: skip
SF = {"food": 1, "fresh": 6, "market": 3, "flowers": 14, "cake": 13, "documents": 12,
      "medicine": 2}  # fmt: skip


@pytest.mark.parametrize("category", CATEGORIES)
def test_dada_cargo_type_per_category(category):
    body = dada.order_params(
        of("dada", category), STORES["dada"], creds("dada"), "K", "", DadaOptions()
    )
    assert body["cargo_type"] == DADA[category]


@pytest.mark.parametrize("category", CATEGORIES)
def test_shansong_good_type_per_category(category):
    body = shansong.calculate_body(
        of("shansong", category), STORES["shansong"], "K", ShansongOptions()
    )
    assert body["receiverList"][0]["goodType"] == SHANSONG[category]


@pytest.mark.parametrize("category", CATEGORIES)
def test_sf_product_type_per_category_in_quote_and_order_detail(category):
    order, store, c = of("sf", category), STORES["sf"], creds("sf")
    quote = json.loads(sf.build_quote(order, store, c, SfOptions(), NOW).content)
    create = json.loads(sf.build_create(order, store, attempt("sf"), c, SfOptions(), NOW).content)
    assert quote["product_type"] == SF[category]
    assert create["order_detail"]["product_type"] == SF[category]


def test_store_default_category_reaches_the_wire():
    order = of("dada", None)
    store = replace(STORES["dada"], default_category="medicine")
    assert (
        dada.order_params(order, store, creds("dada"), "K", "", DadaOptions())["cargo_type"] == 20
    )
    sf_store = replace(STORES["sf"], default_category="蛋糕")
    quote = json.loads(
        sf.build_quote(of("sf", None), sf_store, creds("sf"), SfOptions(), NOW).content
    )
    assert quote["product_type"] == 13


def test_configured_overrides_replace_one_code_and_keep_the_rest():
    opts = DadaOptions(cargo_types={"market": "9"})  # TOML may hand the number as text
    d = creds("dada")
    assert (
        dada.order_params(of("dada", "market"), STORES["dada"], d, "K", "", opts)["cargo_type"] == 9
    )
    assert (
        dada.order_params(of("dada", "cake"), STORES["dada"], d, "K", "", opts)["cargo_type"] == 21
    )
    sf_opts = SfOptions(product_types={"market": 33})
    quote = json.loads(
        sf.build_quote(of("sf", "market"), STORES["sf"], creds("sf"), sf_opts, NOW).content
    )
    assert quote["product_type"] == 33


def test_uu_goods_type_is_other_unless_mapped():
    store = STORES["uupt"]
    assert uupt.price_body(of("uupt", "cake"), store, UuOptions())["goodsType"] == "OTHER"
    opts = UuOptions(goods_types={"cake": "CAKE", "medicine": "MEDICINE"})
    assert uupt.price_body(of("uupt", "cake"), store, opts)["goodsType"] == "CAKE"
    assert uupt.price_body(of("uupt", "medicine"), store, opts)["goodsType"] == "MEDICINE"
    assert uupt.price_body(of("uupt", "food"), store, opts)["goodsType"] == "OTHER"


def _meituan_form(category: str | None, opts: MeituanOptions) -> dict[str, str]:
    wire = meituan.build_quote(
        of("meituan", category), creds("meituan"), opts, NOW, STORES["meituan"]
    )
    return wire.form


def test_meituan_cake_and_medicine_carry_a_handling_line_food_does_not():
    cake = _meituan_form("cake", MeituanOptions())
    assert cake["goods_delivery_info"] == "蛋糕：请保持水平放置，勿倾斜挤压"
    assert "药品" in _meituan_form("medicine", MeituanOptions())["goods_delivery_info"]
    food = _meituan_form("food", MeituanOptions())
    assert "goods_delivery_info" not in food and "goods_type" not in food
    assert "goods_delivery_info" not in _meituan_form("cake", MeituanOptions(handling_notes=False))


def test_meituan_goods_type_field_only_when_named():
    opts = MeituanOptions(goods_type_field="goods_type", goods_types={"cake": 3})
    form = _meituan_form("cake", opts)
    assert form["goods_type"] == "3"
    assert "goods_type" not in _meituan_form("food", opts)  # unmapped: nothing guessed


def test_fengniao_category_field_only_when_named():
    order, store, shop = of("fengniao", "flowers"), STORES["fengniao"], {"chain_store_id": "1"}
    assert not {"category", "category_id"} & set(fengniao.quote_body(order, store, shop, "K"))
    body: dict[str, Any] = fengniao.quote_body(
        order, store, shop, "K", category_field="category_id", categories={"flowers": 7}
    )
    assert body["category_id"] == 7


# ------------------------------------------------------------------ the sandboxes read the code
@pytest.mark.asyncio
@pytest.mark.integration
async def test_dada_sandbox_prices_a_cake_as_cargo_type_21(sandbox_world):
    world = await sandbox_world("dada")
    order = make_order(extra={"category": "cake"})
    q = await world.adapter.quote(order, key="JP1001-1")
    assert world.engine.quotes[q.token].extra["cargo_type"] == 21


@pytest.mark.asyncio
@pytest.mark.integration
async def test_dada_sandbox_refuses_an_undocumented_cargo_type(sandbox_world):
    world = await sandbox_world("dada", cargo_types={"cake": 4})
    with pytest.raises(RejectedError):
        await world.adapter.quote(make_order(extra={"category": "cake"}), key="JP1001-1")


@pytest.mark.asyncio
@pytest.mark.integration
async def test_shansong_sandbox_reads_good_type_and_refuses_unknown(sandbox_world):
    world = await sandbox_world("shansong")
    q = await world.adapter.quote(make_order(extra={"category": "flowers"}), key="JP2001-1")
    assert world.engine.quotes[q.token].extra["goodType"] == 7
    bad = await sandbox_world("shansong", good_types={"flowers": 8})
    with pytest.raises(RejectedError):
        await bad.adapter.quote(make_order(extra={"category": "flowers"}), key="JP2001-2")


@pytest.mark.asyncio
@pytest.mark.integration
async def test_sf_sandbox_reads_product_type_on_create(sandbox_world):
    world = await sandbox_world("sf")
    order = make_order(extra={"category": "medicine"})
    q = await world.adapter.quote(order, key="JP1001-1")
    att = attempt("sf", quote_token=q.token)
    await world.adapter.create(order, q, att)
    assert world.engine.find("sf", "JP1001-1").extra["product_type"] == 2
    bad = await sandbox_world("sf", product_types={"medicine": 11})
    with pytest.raises(RejectedError):
        await bad.adapter.quote(order, key="JP1001-2")
