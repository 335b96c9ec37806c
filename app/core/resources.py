"""Where bundled resources (templates, sounds, translations, icons) are: the source
tree's ``resources/``, the installed package ``app.resources``, or the frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    src = Path(__file__).resolve().parents[2] / "resources"
    if src.is_dir():
        return src
    return Path(sys.prefix) / "share" / "jupei" / "resources"  # pip install . (data-files)


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
