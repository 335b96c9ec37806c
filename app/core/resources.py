"""Where the shipped resources (ticket templates, fonts, sounds, translations, icons) are.

One resolver for the three ways JuPei runs, so the UI and the printer look in the same place:

- a PyInstaller bundle: ``sys._MEIPASS/resources`` (``build.spec`` copies the folder there);
- a source checkout or an editable install: ``resources/`` next to the ``app`` package;
- ``pip install .``: ``<data>/share/jupei/resources``, the ``data-files`` layout in
  ``pyproject.toml`` — ``<data>`` is ``sys.prefix`` for a venv, but the user or a custom
  install scheme puts it elsewhere, so every scheme sysconfig knows is tried.
"""

from __future__ import annotations

import sys
import sysconfig
from functools import cache
from pathlib import Path

SUBDIR = Path("share") / "jupei" / "resources"
# What a complete install has; ``missing()`` checks these (the smoke run and CI use it).
EXPECTED = (
    "templates/standard.json",
    "sounds/new_order.wav",
    "icons/jupei.png",
    "i18n/jupei_en.qm",
)


def candidates() -> list[Path]:
    """Every folder that may hold the resources, most specific first."""
    found: list[Path] = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        found.append(Path(frozen) / "resources")
    found.append(Path(__file__).resolve().parents[2] / "resources")
    prefixes = [sys.prefix, sys.exec_prefix]
    for scheme in sysconfig.get_scheme_names():
        try:
            prefixes.append(sysconfig.get_path("data", scheme))
        except KeyError:  # a scheme without a data path on this platform
            continue
    for prefix in prefixes:
        path = Path(prefix) / SUBDIR
        if path not in found:
            found.append(path)
    return found


def first_present(options: list[Path]) -> Path:
    """The first folder that has templates; the most specific one when none does (so an
    error names the folder that should have been there)."""
    for path in options:
        if (path / "templates").is_dir():
            return path
    return options[0]


@cache
def resources_dir() -> Path:
    return first_present(candidates())


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def missing() -> list[str]:
    """The expected resources this install lacks (empty when complete)."""
    return [rel for rel in EXPECTED if not resource(rel).is_file()]


if __name__ == "__main__":  # `python -m app.core.resources`: where they are, exit 1 if incomplete
    gone = missing()
    print(resources_dir(), "missing: " + ", ".join(gone) if gone else "complete")
    sys.exit(1 if gone else 0)
