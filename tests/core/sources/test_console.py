"""The settings dialog's door to the sources (``AppService`` → ``sources.console``):
test connection on unsaved settings against the simulators over loopback, secrets into
the secret store only, and the 饿了么 OAuth code exchange."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.eleme import ElemeSim
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.secrets import MemorySecretStore
from app.core.sources import console
from app.core.sources.eleme import oauth
from app.core.sources.registry import SOURCE_IDS
from tests.core.sources.conftest import NOON_LOCAL
from tests.fakes.clock import FakeClock
from tests.helpers import make_settings


def _with_source(settings, source_id: str, **values):
    table = settings.sources.get(source_id).model_dump()
    table.update(values)
    sources = settings.sources.model_dump()
    sources[source_id] = table
    return settings.model_copy(update={"sources": type(settings.sources).model_validate(sources)})


@pytest.mark.asyncio
async def test_meituan_test_connection_uses_the_typed_secret(tmp_path):
    clock = FakeClock(NOON_LOCAL)
    sim = MeituanSim(clock=clock)
    sim.new_order()
    sim.new_order()
    async with LoopbackServer(sim.make_app()) as api:
        s = _with_source(
            make_settings(tmp_path),
            "meituan",
            base_url=api.url + "/api/v1/",
            app_id="1000",
            app_poi_code="S001",
        )
        stored = MemorySecretStore()
        typed = console.OverlaySecrets(
            {"sources.meituan.app_secret": "rehearsal-mt-wm-secret"}, stored.get
        )
        ok = await console.check_connection("meituan", s, typed, clock)
        assert ok.ok and "2" in ok.message, ok
        wrong = console.OverlaySecrets({"sources.meituan.app_secret": "nope"}, stored.get)
        bad = await console.check_connection("meituan", s, wrong, clock)
    assert not bad.ok and "凭据无效" in bad.message and "Credentials" in bad.message_en
    assert stored.get("sources.meituan.app_secret") is None  # a test saves nothing


@pytest.mark.asyncio
async def test_missing_keys_and_unreachable_host_are_explained(tmp_path):
    clock = FakeClock(NOON_LOCAL)
    s = make_settings(tmp_path)
    miss = await console.check_connection("eleme", s, MemorySecretStore(), clock)
    assert not miss.ok and miss.message.startswith("缺少") and "access_token" in miss.message
    s = _with_source(
        s, "meituan", base_url="http://127.0.0.1:9/api/v1/", app_id="1", app_poi_code="S"
    )
    secrets = MemorySecretStore({"sources.meituan.app_secret": "x"})
    down = await console.check_connection("meituan", s, secrets, clock)
    assert not down.ok and "无法连接平台" in down.message
    unknown = await console.check_connection("douyin", s, secrets, clock)
    assert not unknown.ok


@pytest.mark.asyncio
async def test_eleme_authorise_exchange_then_test(tmp_path, memory_keyring):
    from tests.helpers import started_core

    sim = ElemeSim()  # the core's own (system) clock signs the calls
    sim.new_order()
    async with LoopbackServer(sim.make_app()) as api, started_core(tmp_path) as core:
        svc = core.service
        s = _with_source(
            svc.settings,
            "eleme",
            base_url=api.url + "/api/v1/",
            app_key="rehearsal-eleme-key",
            shop_id="720032",
            redirect_uri="https://example.com/eleme/cb",
        )
        svc.set_source_secret("eleme", "app_secret", "rehearsal-eleme-secret")
        url = svc.eleme_authorize_url(s)
        q = parse_qs(urlsplit(url).query)
        assert url.startswith(api.url + "/authorize?")
        assert (q["response_type"], q["client_id"], q["scope"]) == (
            ["code"],
            ["rehearsal-eleme-key"],
            ["all"],
        )
        assert q["redirect_uri"] == ["https://example.com/eleme/cb"]
        code = sim.issue_code("https://example.com/eleme/cb")
        pasted = f"https://example.com/eleme/cb?code={code}&state=forged"
        refused = await svc.eleme_exchange_code(pasted, s)
        assert not refused.ok and "状态不匹配" in refused.message
        pasted = f"https://example.com/eleme/cb?code={code}&state={q['state'][0]}"
        done = await svc.eleme_exchange_code(pasted, s)
        assert done.ok, done
        assert svc.source_secret_present("eleme", "access_token")
        assert svc.source_secret_present("eleme", "refresh_token")
        again = await svc.eleme_exchange_code(code, s)  # a code works once
        assert not again.ok and "授权已过期" in again.message
        check = await svc.test_source("eleme", s)
        assert check.ok and "1" in check.message, check
        with pytest.raises(KeyError):
            svc.set_source_secret("eleme", "shop_id", "x")  # not a secret: never in the keyring


def test_pasted_code_forms():
    assert oauth.parse_pasted("  abc  ") == ("abc", "")
    assert oauth.parse_pasted("https://x/cb?code=abc&state=s1") == ("abc", "s1")
    assert oauth.parse_pasted("code=abc&state=s2") == ("abc", "s2")


def test_facts_name_every_source_and_its_secrets():
    facts = console.source_facts()
    assert list(facts)[:2] == ["meituan", "eleme"] and list(facts) == list(SOURCE_IDS)
    assert facts["youzan"].name("zh") == "有赞" and facts["douyin"].name("en") == "Douyin"
    assert facts["meituan"].name("zh") == "美团外卖" and facts["eleme"].colour == "#0086ff"
    assert "refresh_token" in facts["eleme"].secret_keys
    assert console.secret_name("eleme", "access_token") == "sources.eleme.access_token"
