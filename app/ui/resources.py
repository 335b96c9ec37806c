"""Paths to shipped resources (works from a checkout and from a PyInstaller bundle)."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    base = getattr(sys, "_MEIPASS", None)
    if base:
        return Path(base) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def sound(name: str) -> Path:
    return resources_dir() / "sounds" / name


def icon_path() -> Path:
    return resources_dir() / "icons" / "jupei.png"


def i18n_dir() -> Path:
    return resources_dir() / "i18n"
