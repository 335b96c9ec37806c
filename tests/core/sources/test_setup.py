"""Source contexts from settings and the secret store."""

from __future__ import annotations

import pytest

from app.core.config import load_settings
from app.core.secrets import MemorySecretStore
from app.core.sources.http import SourceHttp
from app.core.sources.registry import build_connector
from app.core.sources.setup import context_for, credentials_for
from tests.fakes.clock import FakeClock


@pytest.mark.asyncio
async def test_context_from_settings_env_and_keyring(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__APP_ID", "1000")
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__APP_POI_CODE", "S001")
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__PUSH_BASE_URL", "https://relay.example/mt")
    monkeypatch.setenv("JUPEI_SOURCES__ELEME__ACCESS_TOKEN", "env-token")
    settings = load_settings(tmp_path / "none.toml")
    secrets = MemorySecretStore(
        {"sources.meituan.app_secret": "kr-secret", "sources.eleme.access_token": "kr-token"}
    )
    creds = credentials_for("meituan", settings, secrets)
    assert creds == {"app_id": "1000", "app_secret": "kr-secret", "app_poi_code": "S001"}
    assert credentials_for("eleme", settings, secrets)["access_token"] == "env-token"  # env wins
    http = SourceHttp()
    try:
        ctx = context_for("meituan", settings, secrets, http, FakeClock())
        assert ctx.base_url == "https://waimaiopen.meituan.com/api/v1/"
        assert ctx.push_base_url == "https://relay.example/mt"
        assert ctx.options["variant"] == "waimaiopen"
        sim = context_for(
            "eleme",
            settings,
            secrets,
            http,
            FakeClock(),
            simulator_base_url="http://127.0.0.1:1/eleme/api/v1/",
        )
        assert sim.credentials["app_key"] == "rehearsal-eleme-key"
        # the simulator pushes to this machine's listener, not to the configured relay
        assert sim.push_base_url == "http://127.0.0.1:8731/api/v1/sources/eleme"
        assert build_connector(sim).id == "eleme"
    finally:
        await http.aclose()
