"""``[sources.<id>]`` in the one settings schema: env names reach every key, secrets are
refused in the file and never written back."""

from __future__ import annotations

import pytest

from app.core.config import file_data, load_settings


def test_defaults_keep_sources_off(tmp_path):
    s = load_settings(tmp_path / "none.toml")
    assert s.sources.meituan.mode == "off" and s.sources.eleme.mode == "off"
    assert s.sources.get("meituan").auto_confirm is True
    assert s.sources.get("eleme").platform_stall_min == 10
    with pytest.raises(AttributeError):
        s.sources.get("nope")


def test_env_reaches_every_name(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__MODE", "push")
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__BASE_URL", "http://127.0.0.1:9/meituan/api/v1/")
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__APP_ID", "1000")
    monkeypatch.setenv("JUPEI_SOURCES__MEITUAN__APP_SECRET", "s")
    monkeypatch.setenv("JUPEI_SOURCES__ELEME__ACCESS_TOKEN", "tok")
    monkeypatch.setenv("JUPEI_SOURCES__ELEME__PULL_INTERVAL_S", "30")
    s = load_settings(tmp_path / "none.toml")
    mt, el = s.sources.meituan, s.sources.eleme
    assert (mt.mode, mt.base_url, mt.credential("app_id"), mt.credential("app_secret")) == (
        "push",
        "http://127.0.0.1:9/meituan/api/v1/",
        "1000",
        "s",
    )
    assert (el.credential("access_token"), el.pull_interval_s) == ("tok", 30)
    written = file_data(s)["sources"]
    assert "app_secret" not in written["meituan"] and written["meituan"]["app_id"] == "1000"
    assert "access_token" not in written["eleme"]


def test_a_secret_in_the_file_is_refused(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[sources.eleme]\nmode = "pull"\nrefresh_token = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[sources.eleme\] holds refresh_token"):
        load_settings(cfg)
    cfg.write_text('[sources.meituan]\nmode = "pull"\napp_poi_code = "S001"\n', encoding="utf-8")
    s = load_settings(cfg)
    assert (s.sources.meituan.mode, s.sources.meituan.credential("app_poi_code")) == (
        "pull",
        "S001",
    )
