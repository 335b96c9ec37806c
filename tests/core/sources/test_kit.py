"""The source kit and registry: explicit list, connectors satisfy the protocol, the
simulators never import connector code, and the shared helpers."""

from __future__ import annotations

import ast
import importlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.core.sources import kit, registry
from app.core.sources.base import (
    SourceConnector,
    SourceContext,
    SourceOutcomeUnknownError,
    SourceUnavailableError,
)
from app.core.sources.http import SourceHttp
from tests.fakes.clock import FakeClock

SANDBOX = Path(__file__).parents[3] / "app" / "core" / "sandbox" / "sources"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_simulators_never_import_connector_code():
    files = sorted(SANDBOX.glob("*.py"))
    assert {f.stem for f in files} >= {"meituan", "eleme", "keruyun"}
    for f in files:
        bad = {
            m
            for m in imported_modules(f)
            if m == "app.core.sources" or m.startswith("app.core.sources.")
        }
        assert not bad, f"{f.name} imports {bad}"


@pytest.mark.asyncio
async def test_registry_lists_every_module_and_builds_connectors():
    http = SourceHttp()
    assert registry.SOURCE_IDS[:2] == ("meituan", "eleme")
    assert "keruyun" in registry.SOURCE_IDS
    for name in registry.SOURCE_MODULES:
        importlib.import_module(name)
    for sid, rules in registry.all_rules().items():
        assert rules.id == sid
        assert set(rules.secret_keys) <= set(rules.credential_keys)
        assert (
            set(rules.rehearsal_credentials)
            >= set(rules.credential_keys) - {"access_token", "refresh_token"}
            or sid == "eleme"
        )
        assert rules.unverified, f"{sid} lists no ASSUMED facts"
        ctx = SourceContext(
            sid, rules.sandbox_base_url, rules.rehearsal_credentials, http, FakeClock()
        )
        assert isinstance(registry.build_connector(ctx), SourceConnector)
    await http.aclose()
    with pytest.raises(KeyError):
        registry.rules("nope")


def test_push_kinds_match_the_issue():
    assert registry.rules("meituan").push_kinds == (
        "order",
        "confirm",
        "cancel",
        "refund",
        "status",
    )
    assert registry.rules("eleme").push_kinds == ("push",)


def test_value_helpers():
    assert kit.text_id(1200897812792015983) == "1200897812792015983"
    assert kit.text_id(" 12 ") == "12"
    with pytest.raises(ValueError):
        kit.text_id(1.2e18)
    with pytest.raises(ValueError):
        kit.text_id("")
    assert kit.fen_or_none("12.345") == 1235
    assert kit.fen_or_none(None) is None
    assert kit.int_or_none("x") is None and kit.int_or_none("7") == 7
    assert kit.maybe_json('{"a":1}') == {"a": 1} and kit.maybe_json("") is None
    assert kit.digest_equal("ABC", "abc") and not kit.digest_equal("abd", "abc")
    assert kit.yyyymmdd(kit.local_date(datetime(2026, 12, 1, 16, 30, tzinfo=UTC))) == 20261202
    assert kit.parse_local("2026-12-01T08:00:00") == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert kit.read_options({"a": 1, "b": True, "c": "x"}, {"a": "5", "b": "off", "z": 1}) == {
        "a": 5,
        "b": False,
        "c": "x",
    }


@pytest.mark.asyncio
async def test_http_maps_transport_errors():
    def boom(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(503)

    http = SourceHttp(transport=httpx.MockTransport(boom))
    try:
        with pytest.raises(SourceUnavailableError):
            await http.request("x", "GET", "http://h/down", mutating=True)
        with pytest.raises(SourceOutcomeUnknownError):
            await http.request("x", "POST", "http://h/slow", mutating=True)
        with pytest.raises(SourceUnavailableError):
            await http.request("x", "GET", "http://h/slow", mutating=False)
        with pytest.raises(SourceOutcomeUnknownError):
            await http.request("x", "POST", "http://h/5xx", mutating=True)
    finally:
        await http.aclose()


@pytest.mark.asyncio
async def test_carriers_and_sources_map_http_failures_alike():
    """One mapping (app.core.httpcall) behind CarrierHttp and SourceHttp."""
    from app.core.carriers import base as cb
    from app.core.carriers.http import CarrierHttp
    from app.core.sources.base import SourceRateLimitedError

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/busy":
            return httpx.Response(429)
        if request.url.path == "/ok":
            return httpx.Response(200, content=b"{}", headers={"X-Req": "7"})
        return httpx.Response(502)

    carrier = CarrierHttp(transport=httpx.MockTransport(answer))
    source = SourceHttp(transport=httpx.MockTransport(answer))
    cases = [
        ("/down", True, cb.UnavailableError, SourceUnavailableError),
        ("/busy", False, cb.RateLimitedError, SourceRateLimitedError),
        ("/5xx", True, cb.OutcomeUnknownError, SourceOutcomeUnknownError),
        ("/5xx", False, cb.UnavailableError, SourceUnavailableError),
    ]
    try:
        for path, mutating, carrier_error, source_error in cases:
            with pytest.raises(carrier_error) as ce:
                await carrier.post(
                    "c", "http://h" + path, content=b"", content_type="x", mutating=mutating
                )
            with pytest.raises(source_error) as se:
                await source.request("s", "POST", "http://h" + path, mutating=mutating)
            assert ce.value.message == se.value.message
            assert ce.value.code == se.value.code
        ok = await carrier.post("c", "http://h/ok", content=b"", content_type="x", mutating=True)
        assert ok.status == 200 and ok.body == b"{}" and ok.headers["x-req"] == "7"
        assert (await source.request("s", "GET", "http://h/ok", mutating=False)).body == b"{}"
        assert carrier.request_count == 5 and source.request_count == 5
    finally:
        await carrier.aclose()
        await source.aclose()


def test_error_table_first_match_wins_and_fallbacks():
    from app.core.sources.base import (
        SourceAuthError,
        SourceNotFoundError,
        SourceRateLimitedError,
        SourceRejectedError,
    )

    table = (
        kit.ErrorRule(SourceNotFoundError, {404}, fallback="no such order"),
        kit.ErrorRule(SourceAuthError, {7}, ("sign", "签名")),
        kit.ErrorRule(SourceRateLimitedError, words=("limit",)),
    )
    e = kit.error_from("x", table, 404, "")
    assert type(e) is SourceNotFoundError and e.message == "no such order" and e.code == 404
    assert type(kit.error_from("x", table, 7, "")) is SourceAuthError
    e = kit.error_from("x", table, 1, "Bad SIGN and rate LIMIT")  # words: any case, in order
    assert type(e) is SourceAuthError and e.message == "Bad SIGN and rate LIMIT"
    assert type(kit.error_from("x", table, None, "签名错误")) is SourceAuthError
    assert type(kit.error_from("x", table, 1, "over the limit")) is SourceRateLimitedError
    e = kit.error_from("x", table, 1, "", fallback="refused")
    assert type(e) is SourceRejectedError and e.message == "refused" and e.code == 1


def test_answer_doc_envelopes():
    from app.core.sources.base import SourceRejectedError

    assert kit.answer_doc("x", b'{"a":1}') == {"a": 1}
    assert kit.answer_doc("x", b"") == {} and kit.answer_doc("x", b"[1]") == {}
    with pytest.raises(SourceRejectedError, match="not JSON"):
        kit.answer_doc("x", b"", empty_is_object=False)
    with pytest.raises(SourceRejectedError, match="not JSON"):
        kit.answer_doc("x", b"<html>")
    with pytest.raises(SourceRejectedError, match="not an object"):
        kit.answer_doc("x", b"[1]", strict=True)


def test_push_helpers():
    from app.core.sources.base import PushKind, PushRejected

    assert kit.header({"x-douyin-signature": "s"}, "X-Douyin-Signature") == "s"
    assert kit.header({}, "Msg-Id") == ""
    kit.check_kind("x", "push", ("push",), b"no")
    with pytest.raises(PushRejected) as e:
        kit.check_kind("x", "other", ("push",), b"no")
    assert e.value.reply_status == 404 and e.value.reply_body == b"no"
    assert kit.push_json("x", b'{"a":1}', b"no") == {"a": 1}
    assert kit.push_json("x", b"  ", b"no", empty_ok=True) == {}
    with pytest.raises(PushRejected) as e:
        kit.push_json("x", b"  ", b"no")
    assert e.value.reply_status == 400
    beat = kit.heartbeat(b"ok")
    assert beat.reply_body == b"ok" and [ev.kind for ev in beat.events] == [PushKind.HEARTBEAT]


def test_order_value_helpers():
    assert kit.degrees_or_none("31.2304") == 31.2304 and kit.degrees_or_none(121.5) == 121.5
    assert [kit.degrees_or_none(v) for v in (None, "", "x", 0, "0.0")] == [None] * 5
    assert kit.tail_number("5078123456780042") == 42
    assert kit.tail_number("E2026120112") == 112 and kit.tail_number("E20261201a2") is None
    assert kit.tail_number("123") is None
    assert kit.split_list(" a, b,,c ") == ("a", "b", "c") and kit.split_list("") == ()


@pytest.mark.asyncio
async def test_access_token_is_shared_and_renewed_once_after_an_auth_refusal():
    from datetime import timedelta

    from app.core.sources.base import SourceAuthError

    clock = FakeClock()
    fetched: list[str] = []

    async def fetch() -> tuple[str, datetime]:
        fetched.append(f"t{len(fetched) + 1}")
        return fetched[-1], clock.now() + timedelta(hours=2)

    token = kit.AccessToken(fetch, clock.now, timedelta(minutes=5))
    assert await token.get() == "t1" and await token.get() == "t1"  # cached
    clock.advance(116 * 60)  # inside the margin: renewed
    assert await token.get() == "t2"

    seen: list[str] = []

    async def call(tok: str) -> str:
        seen.append(tok)
        if tok == "t2":
            raise SourceAuthError("x", "token expired")
        return "done:" + tok

    assert await token.retry_once(call) == "done:t3" and seen == ["t2", "t3"]

    async def always_refused(tok: str) -> str:
        raise SourceAuthError("x", "revoked")

    with pytest.raises(SourceAuthError):
        await token.retry_once(always_refused)
    assert fetched == ["t1", "t2", "t3", "t4"]  # one renew per call, not a loop
