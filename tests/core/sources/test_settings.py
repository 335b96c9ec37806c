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


# what each platform can do (shared/sources): 客如云/有赞/抖音 push only, 哗啦啦 pull only
SUPPORTED = {
    "meituan": ("off", "push", "pull"),
    "eleme": ("off", "push", "pull"),
    "keruyun": ("off", "push"),
    "youzan": ("off", "push"),
    "douyin": ("off", "push"),
    "hualala": ("off", "pull"),
}


def test_each_sources_modes_come_from_its_rules():
    from app.core.sources.console import source_facts
    from app.core.sources.registry import SOURCE_IDS, rules

    assert {sid: rules(sid).modes for sid in SOURCE_IDS} == SUPPORTED
    assert {sid: f.modes for sid, f in source_facts().items()} == SUPPORTED  # the page's list
    for sid in SOURCE_IDS:  # a source with push kinds takes pushes, one without cannot
        assert ("push" in rules(sid).modes) == bool(rules(sid).push_kinds)


@pytest.mark.parametrize(
    ("sid", "mode", "why"),
    [
        ("keruyun", "pull", "has no order pull API"),
        ("youzan", "pull", "has no order pull API"),
        ("douyin", "pull", "has no order pull API"),
        ("hualala", "push", "pushes no orders"),
    ],
)
def test_an_unsupported_mode_is_refused_in_the_file_and_the_env(
    tmp_path, monkeypatch, sid, mode, why
):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[sources.{sid}]\nmode = "{mode}"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=rf'\[sources.{sid}\] mode = "{mode}" .*{why}') as e:
        load_settings(cfg)
    allowed = ", ".join(SUPPORTED[sid])
    assert f"use one of {allowed}" in str(e.value)
    cfg.write_text("", encoding="utf-8")
    monkeypatch.setenv(f"JUPEI_SOURCES__{sid.upper()}__MODE", mode)
    with pytest.raises(ValueError, match=rf"\[sources.{sid}\] mode"):
        load_settings(cfg)


def test_every_supported_mode_loads(tmp_path):
    cfg = tmp_path / "config.toml"
    for sid, modes in SUPPORTED.items():
        for mode in modes:
            cfg.write_text(f'[sources.{sid}]\nmode = "{mode}"\n', encoding="utf-8")
            assert load_settings(cfg).sources.get(sid).mode == mode


def test_the_settings_page_model_refuses_an_unsupported_mode():
    """What the dialog builds (``SourcesSettings.model_validate``) is checked the same way,
    so a save never writes a mode the next start would refuse."""
    from pydantic import ValidationError

    from app.core.config import SourcesSettings

    with pytest.raises(ValidationError, match="客如云"):
        SourcesSettings.model_validate({"keruyun": {"mode": "pull"}})
    assert SourcesSettings.model_validate({"keruyun": {"mode": "push"}}).keruyun.mode == "push"
