"""UI-only preferences the core does not need (the map tile source), kept in
``<config dir>/ui.ini`` next to config.toml. ``JUPEI_MAP_TILES`` overrides:
``autonavi`` (GCJ-02, default), ``osm`` (WGS-84, outside mainland China), ``offline``,
or any XYZ URL template with ``{x}``, ``{y}``, ``{z}`` and optional ``{s}``."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings

from app.core import paths

DEFAULT_TILES = "autonavi"


def _store() -> QSettings:
    return QSettings(str(paths.config_dir() / "ui.ini"), QSettings.Format.IniFormat)


def tile_source() -> str:
    env = os.environ.get("JUPEI_MAP_TILES")
    if env:
        return env
    return str(_store().value("map/tiles", DEFAULT_TILES) or DEFAULT_TILES)


def set_tile_source(value: str) -> None:
    s = _store()
    s.setValue("map/tiles", value.strip() or DEFAULT_TILES)
    s.sync()
