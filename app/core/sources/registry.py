"""The explicit list of order sources. No entry points, no scanning: ``build.spec`` can
read ``SOURCE_MODULES`` for its hidden imports, so a frozen bundle has every source.

Each source package exports ``RULES`` (``SourceRules``) and ``Connector`` (a class taking
a ``SourceContext``), optionally ``make_connector``; ``app.core.sandbox.sources.<id>``
is its simulator.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import cast

from app.core.sources.base import SourceConnector, SourceContext
from app.core.sources.rules import SourceRules

SOURCE_IDS: tuple[str, ...] = ("meituan", "eleme", "keruyun", "hualala", "youzan", "douyin")

SOURCE_MODULES: tuple[str, ...] = tuple(
    m
    for sid in SOURCE_IDS
    for m in (
        f"app.core.sources.{sid}",
        f"app.core.sources.{sid}.api",
        f"app.core.sources.{sid}.mapping",
        f"app.core.sources.{sid}.codes",
        f"app.core.sources.{sid}.rules",
        f"app.core.sources.{sid}.push",
        f"app.core.sandbox.sources.{sid}",
    )
)


def source_module(source_id: str) -> ModuleType:
    if source_id not in SOURCE_IDS:
        raise KeyError(f"unknown source {source_id!r}")
    return importlib.import_module(f"app.core.sources.{source_id}")


def rules(source_id: str) -> SourceRules:
    return cast(SourceRules, source_module(source_id).RULES)


def all_rules() -> dict[str, SourceRules]:
    return {sid: rules(sid) for sid in SOURCE_IDS}


def build_connector(ctx: SourceContext) -> SourceConnector:
    """A package may offer ``make_connector(ctx)`` to pick a variant (美团 MTOp)."""
    mod = source_module(ctx.source)
    factory = getattr(mod, "make_connector", mod.Connector)
    return cast(SourceConnector, factory(ctx))
