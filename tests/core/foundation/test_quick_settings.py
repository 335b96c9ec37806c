"""The first-frame settings fast path reads the same values as the full pydantic load
(defaults, file, env over file, the JSON env form, case-insensitive env names)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.config import Settings, load_settings
from app.core.quick_settings import FirstFrameSettings, read_first_frame


def _full(s: Settings) -> FirstFrameSettings:
    return FirstFrameSettings(
        language=s.ui.language,
        store_name=s.store.name,
        rehearsal_mode=s.rehearsal.mode,
        log_level=s.log_level,
    )


def _both(cfg: Path) -> tuple[FirstFrameSettings, FirstFrameSettings]:
    return read_first_frame(cfg, os.environ), _full(load_settings(cfg))


def test_defaults_agree(tmp_path):
    quick, full = _both(tmp_path / "missing.toml")
    assert quick == full == FirstFrameSettings()


def test_file_values_agree(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        'log_level = "DEBUG"\n[ui]\nlanguage = "en"\n[store]\nname = "老王面馆"\n'
        '[rehearsal]\nmode = "off"\n',
        encoding="utf-8",
    )
    quick, full = _both(cfg)
    assert quick == full
    assert quick == FirstFrameSettings("en", "老王面馆", "off", "DEBUG")


def test_env_over_file_agrees(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ui]\nlanguage = "en"\n[store]\nname = "文件里的店"\n', encoding="utf-8")
    monkeypatch.setenv("JUPEI_UI__LANGUAGE", "zh_CN")
    monkeypatch.setenv("jupei_store__name", "环境变量的店")
    monkeypatch.setenv("JUPEI_REHEARSAL__MODE", "on")
    monkeypatch.setenv("JUPEI_LOG_LEVEL", "WARNING")
    quick, full = _both(cfg)
    assert quick == full
    assert quick == FirstFrameSettings("zh_CN", "环境变量的店", "on", "WARNING")


@pytest.mark.parametrize("nested", [None, "off"])
def test_json_env_form_agrees(tmp_path, monkeypatch, nested):
    monkeypatch.setenv("JUPEI_REHEARSAL", '{"mode": "on", "speed": 5}')
    monkeypatch.setenv("JUPEI_UI", '{"language": "en"}')
    if nested:
        monkeypatch.setenv("JUPEI_REHEARSAL__MODE", nested)
    quick, full = _both(tmp_path / "missing.toml")
    assert quick == full
    assert (quick.language, quick.rehearsal_mode) == ("en", nested or "on")


def test_broken_file_falls_back_to_defaults(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[ui\nlanguage = ", encoding="utf-8")
    assert read_first_frame(cfg, {}) == FirstFrameSettings()
