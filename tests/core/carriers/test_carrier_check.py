"""``carrier-check``: all matched against each sandbox; against a sandbox switched to the
disputed variant of a fact it names the mismatch and the option to change."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from app.__main__ import main
from app.core.carriers.check import CheckReport, run_check
from app.core.carriers.registry import CARRIER_IDS, rules
from app.core.config import Settings
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.server import SandboxServer
from app.core.secrets import MemorySecretStore


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer(SandboxEngine(seed=1, speed=0), push_callbacks=False)
    await server.start()
    yield server
    await server.stop()


def settings(carrier: str = "", **options: object) -> Settings:
    s = Settings()
    if carrier:
        s.carriers.get(carrier).options.update(options)
    return s


async def check(server: SandboxServer, carrier: str, **kw: object) -> CheckReport:
    s = kw.pop("settings", None) or settings()
    assert isinstance(s, Settings)
    return await run_check(carrier, s, MemorySecretStore(), sandbox_url=server.base_url, **kw)  # type: ignore[arg-type]


@pytest.mark.asyncio
@pytest.mark.parametrize("carrier", CARRIER_IDS)
async def test_each_sandbox_all_matched(sandbox: SandboxServer, carrier: str) -> None:
    report = await check(sandbox, carrier, create_test_order=True)
    steps = {line.step: line.ok for line in report.lines}
    assert report.matched, report.render("en")
    assert steps["quote"] is True and steps["fee unit"] is True
    assert steps["create"] is True and steps["status"] is True and steps["cancel"] is True
    assert report.options_to_change == []
    assert report.render("en").endswith("Result: all matched")
    assert report.render("zh_CN").endswith("结果：全部一致")


@pytest.mark.asyncio
async def test_uu_timestamp_in_ms_is_named(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("uupt", "timestamp_unit", "ms")
    report = await check(sandbox, "uupt")
    assert not report.matched
    assert report.options_to_change == ['[carriers.uupt.options] timestamp_unit = "ms"']
    text = report.render("en")
    assert "✗ quote: quote refused: timestamp错误" in text
    assert "the quote works with timestamp_unit = 'ms'" in text
    assert text.endswith(
        'Result: 2 not matched; to change: [carriers.uupt.options] timestamp_unit = "ms"'
    )
    assert "timestamp_unit = 'ms' 时询价成功" in report.render("zh_CN")


@pytest.mark.asyncio
async def test_uu_with_the_option_changed_matches_again(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("uupt", "timestamp_unit", "ms")
    report = await check(sandbox, "uupt", settings=settings("uupt", timestamp_unit="ms"))
    assert report.matched, report.render("en")


@pytest.mark.asyncio
async def test_uu_fee_field_variant_is_named(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("uupt", "fee_fields", "total")
    report = await check(sandbox, "uupt")
    bad = [line for line in report.lines if line.ok is False]
    assert [line.step for line in bad] == ["field fee"]
    assert bad[0].en == "answer lacks field needPayMoney"
    assert report.options_to_change == ['[carriers.uupt.options] fee_field = "totalMoney"']
    fixed = await check(sandbox, "uupt", settings=settings("uupt", fee_field="totalMoney"))
    assert fixed.matched, fixed.render("en")


@pytest.mark.asyncio
async def test_uu_variant_set_over_the_control_api_is_named(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(trust_env=False) as c:
        r = await c.post(
            f"{sandbox.base_url}/__sandbox/variant",
            json={"carrier": "uupt", "name": "timestamp_unit", "value": "ms"},
        )
    assert r.status_code == 200
    assert not (await check(sandbox, "uupt")).matched
    assert (await check(sandbox, "dada")).matched  # the variant is UU's alone
    sandbox.engine.reset()
    assert (await check(sandbox, "uupt")).matched


@pytest.mark.asyncio
async def test_a_refused_create_is_probed_and_the_order_still_cancelled(
    sandbox: SandboxServer,
) -> None:
    """UU switches to ms timestamps between the quote step and the create step: the
    create is refused, the probe finds timestamp_unit = ms, and that adapter's test
    order is queried and cancelled."""

    def step(name: str) -> None:
        if name == "create":
            sandbox.engine.set_variant("uupt", "timestamp_unit", "ms")

    report = await check(sandbox, "uupt", create_test_order=True, progress=step)
    steps = [(line.step, line.ok) for line in report.lines]
    assert ("quote", True) in steps
    i = steps.index(("create", False))
    assert steps[i + 1 : i + 5] == [
        ("option timestamp_unit", False),
        ("create", True),
        ("status", True),
        ("cancel", True),
    ]
    assert report.options_to_change == ['[carriers.uupt.options] timestamp_unit = "ms"']
    assert "the create works with timestamp_unit = 'ms'" in report.render("en")
    orders = list(sandbox.engine.orders["uupt"].values())
    assert len(orders) == 1 and orders[0].cancelled is not None


@pytest.mark.asyncio
async def test_sf_status_id_spelling_is_told(sandbox: SandboxServer) -> None:
    report = await check(sandbox, "sf", create_test_order=True)
    told = [line.en for line in report.lines if line.step == "order ids"]
    assert told == ["the answer names order_id/out_order_id (both are read)"]
    sandbox.engine.set_variant("sf", "status_keys", "sf_order_id")
    report = await check(sandbox, "sf", create_test_order=True)
    assert report.matched, report.render("en")
    told = [line.en for line in report.lines if line.step == "order ids"]
    assert told == ["the answer names sf_order_id/shop_order_id (both are read)"]


@pytest.mark.asyncio
async def test_dada_city_list_names_the_store_city_code(sandbox: SandboxServer) -> None:
    report = await check(sandbox, "dada")
    assert [line.en for line in report.lines if line.step == "city list"] == [
        "上海 city code 021 matches"
    ]
    s = settings()
    s.store.city_code = "21"
    report = await check(sandbox, "dada", settings=s)
    assert not report.matched
    assert report.options_to_change == ['[store] city_code = "021"']
    assert "上海 的城市代码是 021，设置里是 '21'" in report.render("zh_CN")


@pytest.mark.asyncio
async def test_dada_empty_body_signing_variant_is_named(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("dada", "sign_empty_body", "drop")
    report = await check(sandbox, "dada")
    steps = [(line.step, line.ok) for line in report.lines]
    assert steps[1:3] == [("city list", False), ("option sign_empty_body", False)]
    assert ("quote", True) in steps  # a non-empty body signs the same either way
    assert report.options_to_change == ["[carriers.dada.options] sign_empty_body = false"]
    fixed = await check(sandbox, "dada", settings=settings("dada", sign_empty_body=False))
    assert fixed.matched, fixed.render("en")


@pytest.mark.asyncio
@pytest.mark.parametrize("played", ["camel", "snake"])
async def test_uu_request_field_style_is_named_by_the_test_create(
    sandbox: SandboxServer, played: str
) -> None:
    """UU reads only one style of request names (c1's sandbox variant): the quote passes,
    the test create is refused, the probe names field_style, and the order it then made
    is cancelled."""
    sandbox.engine.set_variant("uupt", "field_style", played)
    other = "snake" if played == "camel" else "camel"
    configured = settings("uupt", field_style=other)
    report = await check(sandbox, "uupt", settings=configured, create_test_order=True)
    assert report.options_to_change == [f'[carriers.uupt.options] field_style = "{played}"']
    steps = [(line.step, line.ok) for line in report.lines]
    i = steps.index(("create", False))
    assert steps[i + 1 :] == [
        ("option field_style", False),
        ("create", True),
        ("status", True),
        ("cancel", True),
    ]
    same = await check(
        sandbox, "uupt", settings=settings("uupt", field_style=played), create_test_order=True
    )
    assert same.matched, same.render("en")


@pytest.mark.asyncio
async def test_uu_answer_field_style_is_told(sandbox: SandboxServer) -> None:
    report = await check(sandbox, "uupt")
    told = [line for line in report.lines if line.step == "field style"]
    assert len(told) == 1 and told[0].ok is None and not told[0].option
    assert told[0].en.startswith("the answer uses ")
    assert "needPayMoney" in told[0].en or "need_pay_money" in told[0].en


@pytest.mark.asyncio
async def test_live_without_credentials_says_which_are_missing() -> None:
    report = await run_check("uupt", settings(), MemorySecretStore(), live=True)
    assert not report.matched
    assert [(line.step, line.en) for line in report.lines] == [
        ("credentials", "missing credentials: app_id, app_secret, open_id")
    ]
    assert report.base_url == "https://api-open.uupt.com/openapi/v3"


@pytest.mark.asyncio
async def test_live_reads_the_merchant_credentials_and_never_creates_off_the_test_host(
    sandbox: SandboxServer,
) -> None:
    """Live against a host that is not UU's test host (here the sandbox standing in for
    production): the credentials come from settings + secret store, the quote runs, and
    --create-test-order is refused."""
    creds = dict(rules("uupt").rehearsal_credentials)
    s = Settings.model_validate(
        {
            "carriers": {
                "uupt": {
                    "enabled": True,
                    "base_url": f"{sandbox.base_url}/uupt",
                    "app_id": creds["app_id"],
                    "open_id": creds["open_id"],
                }
            }
        }
    )
    secrets = MemorySecretStore()
    secrets.set("carriers.uupt.app_secret", creds["app_secret"])
    report = await run_check("uupt", s, secrets, live=True, create_test_order=True)
    steps = {line.step: line for line in report.lines}
    assert steps["credentials"].ok and steps["quote"].ok
    assert steps["create"].ok is None
    assert steps["create"].en.startswith("refused to create: the base URL is not the test host")
    assert report.matched and "uupt" not in sandbox.engine.orders
    assert (
        report.render("en").split("\n")[0].startswith("UU Paotui (uupt) — live http://127.0.0.1:")
    )


def test_cli_unknown_carrier(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    rc = main(["--config", str(tmp_path / "none.toml"), "--lang", "en", "carrier-check", "nope"])
    assert rc == 2
    assert "unknown carrier nope" in capsys.readouterr().out


def test_cli_against_its_own_sandbox(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    rc = main(["--config", str(tmp_path / "none.toml"), "--lang", "en", "carrier-check", "dada"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert out.startswith("Dada (dada) — sandbox http://127.0.0.1:")
    assert "Result: all matched" in out


@pytest.mark.asyncio
async def test_doordash_answer_fields_are_read(sandbox: SandboxServer) -> None:
    report = await check(sandbox, "doordash")
    steps = {line.step: line.ok for line in report.lines}
    assert steps["field fee"] is steps["field currency"] is True, report.render("en")
    assert steps["field external_delivery_id"] is True


@pytest.mark.asyncio
async def test_doordash_raw_secret_variant_is_named(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("doordash", "secret_decoding", "raw")
    report = await check(sandbox, "doordash")
    assert not report.matched
    assert report.options_to_change == ['[carriers.doordash.options] secret_decoding = "raw"']
    assert "the quote works with secret_decoding = 'raw'" in report.render("en")


@pytest.mark.asyncio
async def test_uber_direct_answer_fields_are_read(sandbox: SandboxServer) -> None:
    report = await check(sandbox, "uber_direct")
    steps = {line.step: line.ok for line in report.lines}
    assert report.matched, report.render("en")
    assert steps["field quote id"] and steps["field fee"] and steps["field currency"]


@pytest.mark.asyncio
async def test_uber_direct_structured_address_variant_is_named(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("uber_direct", "address_format", "structured")
    report = await check(sandbox, "uber_direct")
    assert not report.matched
    assert report.options_to_change == [
        '[carriers.uber_direct.options] address_format = "structured"'
    ]
    fixed = settings("uber_direct", address_format="structured")
    assert (await check(sandbox, "uber_direct", settings=fixed)).matched


def test_a_carrier_whose_test_and_production_share_a_host_has_no_test_host() -> None:
    """DoorDash picks sandbox or production by the key, on one host: a live check must
    never place a 'test' order there (it could be a real delivery)."""
    from app.core.carriers.check import _is_test

    dd = rules("doordash")
    assert dd.sandbox_base_url == dd.production_base_url
    assert not _is_test(dd, dd.sandbox_base_url)
    assert _is_test(rules("uupt"), rules("uupt").sandbox_base_url)


def _line(report: CheckReport, step: str) -> tuple[bool | None, str, str]:
    (line,) = [x for x in report.lines if x.step == step]
    return line.ok, line.text("zh_CN"), line.text("en")


@pytest.mark.asyncio
async def test_meituan_query_by_delivery_id_refused_matches_the_default(
    sandbox: SandboxServer,
) -> None:
    report = await check(sandbox, "meituan", create_test_order=True)
    ok, zh, en = _line(report, "option query_by_delivery_id")
    assert ok is True, report.render("en")
    assert "matches the default query_by_delivery_id = false" in en
    assert "与默认 query_by_delivery_id = false 一致" in zh
    assert report.matched and report.options_to_change == []


@pytest.mark.asyncio
async def test_meituan_query_by_delivery_id_answered_is_told(sandbox: SandboxServer) -> None:
    sandbox.engine.set_variant("meituan", "peisong_id", "optional")
    report = await check(sandbox, "meituan", create_test_order=True)
    ok, zh, en = _line(report, "option query_by_delivery_id")
    assert ok is None  # informational, not a mismatch
    assert "[carriers.meituan.options] query_by_delivery_id = true would work" in en
    assert "可改 [carriers.meituan.options] query_by_delivery_id = true" in zh
    assert report.matched and report.options_to_change == []
    assert _line(report, "cancel")[0] is True


@pytest.mark.asyncio
async def test_meituan_query_by_delivery_id_on_but_refused_is_named(
    sandbox: SandboxServer,
) -> None:
    s = settings("meituan", query_by_delivery_id=True)
    report = await check(sandbox, "meituan", create_test_order=True, settings=s)
    assert not report.matched
    assert report.options_to_change == ["[carriers.meituan.options] query_by_delivery_id = false"]


@pytest.mark.asyncio
async def test_meituan_query_by_delivery_id_on_and_answered_matches(
    sandbox: SandboxServer,
) -> None:
    sandbox.engine.set_variant("meituan", "peisong_id", "optional")
    s = settings("meituan", query_by_delivery_id=True)
    report = await check(sandbox, "meituan", create_test_order=True, settings=s)
    assert _line(report, "option query_by_delivery_id")[0] is True
    assert report.matched, report.render("en")


@pytest.mark.asyncio
async def test_fengniao_callback_signing_is_said_not_checkable(sandbox: SandboxServer) -> None:
    report = await check(sandbox, "fengniao")
    ok, zh, en = _line(report, "callback")
    assert ok is None
    assert "回调签名无法在柜台检查" in zh and "callback_sign_keys" in zh
    assert "callback signing cannot be checked from the counter" in en
    assert report.matched
