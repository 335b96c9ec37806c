"""Ticket templates: data the manager switches, not code.

A template is a JSON file under ``resources/templates/<name>.json``::

    {"name": "standard", "title": "标准小票", "kind": "ticket",
     "sections": ["store", {"field": "pickup", "size": 3, "align": "center"}, "rule", ...],
     "feed": 2, "cut": true}

A section is a field name, or an object with ``field`` and optional ``size`` (1-4, width
and height multiplier), ``bold``, ``align`` (left|center|right) and ``char`` (for rules).
The field names are listed in ``FIELDS``; ``layout.py`` builds each of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.core.resources import resource

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# The section names a template may use. Declared here, not derived from layout.py, so that
# parsing a template does not import the layout (which imports this module); a test checks
# that layout builds exactly these.
FIELDS = frozenset(
    {
        "store", "mark", "pickup", "order_no", "note", "address", "rider", "footer",
        "store_phone", "items", "totals", "channel_time", "customer", "carrier", "qr",
        "item_count", "rule", "feed",
    }
)  # fmt: skip


class TemplateError(ValueError):
    """A template that does not exist or does not parse."""


@dataclass(frozen=True, slots=True)
class Section:
    field: str
    size: int = 1
    bold: bool = False
    align: str = "left"
    char: str = ""


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    kind: str  # ticket | label
    sections: tuple[Section, ...]
    feed: int = 2
    cut: bool = True


def bundled_dir() -> Path:
    """The shipped templates, wherever this install keeps its resources."""
    return resource("templates")


def _section(raw: object, fields: frozenset[str], where: str) -> Section:
    if isinstance(raw, str):
        raw = {"field": raw}
    if not isinstance(raw, dict) or raw.get("field") not in fields:
        raise TemplateError(f"{where}: unknown section {raw!r}")
    size = int(raw.get("size", 1))
    align = str(raw.get("align", "left"))
    if not 1 <= size <= 4 or align not in ("left", "center", "right"):
        raise TemplateError(f"{where}: bad size/align in {raw!r}")
    return Section(
        raw["field"], size, bool(raw.get("bold", False)), align, str(raw.get("char", ""))
    )


def parse(data: dict[str, Any], where: str = "template") -> Template:
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        raise TemplateError(f"{where}: 'sections' must be a non-empty list")
    return Template(
        name=str(data.get("name", "")),
        title=str(data.get("title", data.get("name", ""))),
        kind=str(data.get("kind", "ticket")),
        sections=tuple(_section(s, FIELDS, where) for s in sections),
        feed=int(data.get("feed", 2)),
        cut=bool(data.get("cut", True)),
    )


@lru_cache(maxsize=64)
def _load_file(path: Path, mtime: float) -> Template:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TemplateError(f"{path.name}: {e}") from e
    return parse(data, path.name)


def load(name: str, dirs: tuple[Path, ...] | None = None) -> Template:
    """The template called ``name`` from the first directory that has it."""
    if not _NAME.match(name):
        raise TemplateError(f"bad template name {name!r}")
    for d in dirs or (bundled_dir(),):
        path = d / f"{name}.json"
        if path.is_file():
            return _load_file(path, path.stat().st_mtime)
    raise TemplateError(f"no template named {name!r}")


def available(dirs: tuple[Path, ...] | None = None) -> list[str]:
    """Template names, for the settings page and the preview selector."""
    names: set[str] = set()
    for d in dirs or (bundled_dir(),):
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.json") if _NAME.match(p.stem))
    return sorted(names)
