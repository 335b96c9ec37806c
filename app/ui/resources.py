"""Paths to the sounds, icon and translations the UI ships with; where they are is decided
once, in ``app.core.resources`` (checkout, ``pip install .`` or a PyInstaller bundle)."""

from __future__ import annotations

from pathlib import Path

from app.core.resources import resource


def sound(name: str) -> Path:
    return resource("sounds", name)


def icon_path() -> Path:
    return resource("icons", "jupei.png")


def i18n_dir() -> Path:
    return resource("i18n")
