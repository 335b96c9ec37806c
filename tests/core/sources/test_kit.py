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
