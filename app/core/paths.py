"""Where config, data, logs and caches live: the platform dirs (platformdirs), or all
under ``$JUPEI_HOME`` when set (portable installs, tests, the smoke run)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "jupei"


def _home() -> Path | None:
    h = os.environ.get("JUPEI_HOME")
    return Path(h) if h else None


def _dir(kind: str) -> Path:
    home = _home()
    if home is not None:
        p = home / kind
    else:
        p = Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))
    p.mkdir(parents=True, exist_ok=True)
    return p


def config_dir() -> Path:
    return _dir("config")


def data_dir() -> Path:
    return _dir("data")


def log_dir() -> Path:
    return _dir("log")


def cache_dir() -> Path:
    return _dir("cache")


def default_config_file() -> Path:
    return config_dir() / "config.toml"
