"""The few settings the GUI needs before its first paint (UI language, store name,
rehearsal mode, log level), read without pydantic: ``tomllib`` on the config file plus the
``JUPEI_*`` environment, with the same precedence as ``app.core.config.Settings``
(environment, then file, then the schema's defaults). Importing pydantic and building the
full schema costs more than the whole bare window, so the full ``load_settings`` runs
after the window is shown. Anything this reader cannot make sense of falls back to the
default: the full load right after the paint validates and reports it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core import paths

PREFIX = "jupei_"
# the schema's defaults (app.core.config); a test checks both readers agree
DEFAULT_LANGUAGE = "zh_CN"
DEFAULT_STORE_NAME = "聚配演示店（人民广场店）"
DEFAULT_REHEARSAL_MODE = "auto"
DEFAULT_LOG_LEVEL = "INFO"
LANGUAGES = ("zh_CN", "en")
REHEARSAL_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class FirstFrameSettings:
    language: str = DEFAULT_LANGUAGE
    store_name: str = DEFAULT_STORE_NAME
    rehearsal_mode: str = DEFAULT_REHEARSAL_MODE
    log_level: str = DEFAULT_LOG_LEVEL


def read_first_frame(
    config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> FirstFrameSettings:
    """The first-frame values from env > file > defaults (as the full schema reads them)."""
    path = config_path or paths.default_config_file()
    data = _file_data(path)
    _deep_update(data, _env_data(os.environ if environ is None else environ))
    return FirstFrameSettings(
        language=_choice(_get(data, "ui", "language"), LANGUAGES, DEFAULT_LANGUAGE),
        store_name=_text(_get(data, "store", "name"), DEFAULT_STORE_NAME),
        rehearsal_mode=_choice(
            _get(data, "rehearsal", "mode"), REHEARSAL_MODES, DEFAULT_REHEARSAL_MODE
        ),
        log_level=_text(data.get("log_level"), DEFAULT_LOG_LEVEL),
    )


def _file_data(path: Path) -> dict[str, Any]:
    if not path.exists():  # the first start has no file: not even tomllib is imported
        return {}
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing or broken: the full load reports it
        pass
    # broken: the GUI runs on the last good copy beside it (app.core.config), if any
    good = path.with_name(path.stem + ".last-good.toml")
    try:
        return tomllib.loads(good.read_text(encoding="utf-8")) if good.is_file() else {}
    except (OSError, ValueError):
        return {}


def _env_data(environ: Mapping[str, str]) -> dict[str, Any]:
    """``JUPEI_UI={"language": "en"}`` (JSON) and ``JUPEI_UI__LANGUAGE=en`` (nested, wins
    over the JSON form), case-insensitive, as pydantic-settings explodes env vars."""
    out: dict[str, Any] = {}
    env = {k.lower(): v for k, v in environ.items() if k.lower().startswith(PREFIX)}
    for key, value in sorted(env.items(), key=lambda kv: kv[0].count("__")):
        parts = key[len(PREFIX) :].split("__")
        if len(parts) == 1 and parts[0] in ("ui", "store", "rehearsal"):
            parsed = _json_object(value)
            if parsed is not None:
                _deep_update(out, {parts[0]: parsed})
            continue
        node = out
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return out


def _json_object(value: str) -> dict[str, Any] | None:
    import json

    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _deep_update(base: dict[str, Any], update: Mapping[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = dict(value) if isinstance(value, Mapping) else value


def _get(data: Mapping[str, Any], section: str, key: str) -> Any:
    part = data.get(section)
    return part.get(key) if isinstance(part, Mapping) else None


def _choice(value: Any, allowed: tuple[str, ...], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default
