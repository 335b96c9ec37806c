"""Head-office settings on the counter PC (pure; no Qt, no I/O).

A chain's hub sends each store one merged document (brand, then its group, then the store
itself; ``app.hub.hq``) with a version. The counter's effective ``Settings`` are its local
ones with that document laid over them: every leaf the document names is head office's
and is *locked* — the settings dialog shows it read-only ("总部设定") and a save that
changes it is refused. The local file keeps only local values, so a key head office stops
setting falls back to what the store had.

Only these sections may come from head office: carriers enabled / preferred and their
non-secret account keys (a brand account with each store's shop number, or the store's
own account), fee caps, the tip ladder and the other dispatch rules, ticket templates and
alerts. Secrets never travel in the document; printers, the POS listener, the store's own
address and the hub link are always local.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.config import SECRET_KEYS, Settings

KV_KEY = "hub.settings"  # the counter's kv row: {"version": N, "settings": {...}}
# section -> keys head office may set there (None: any key of the section)
ALLOWED: dict[str, frozenset[str] | None] = {
    "dispatch": None,
    "carriers": None,  # per carrier: enabled, base_url, account keys; never secrets
    "printing": frozenset(
        {"on_new_order", "on_dispatched", "on_rider_accepted", "template", "label_template"}
    ),
    "alerts": None,
}


class HeadOfficeRejected(ValueError):
    """A head-office document that may not be applied (secret, local-only key, bad value)."""


class HeadOfficeLocked(ValueError):
    """A save changed values head office sets; ``paths`` names them."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__("set by head office (总部设定): " + ", ".join(paths))
        self.paths = paths


@dataclass(frozen=True, slots=True)
class HeadOffice:
    """What this PC last applied: ``version`` 0 and an empty document when none."""

    version: int = 0
    doc: dict[str, Any] = field(default_factory=dict)

    @property
    def locked(self) -> frozenset[str]:
        return locked_paths(self.doc)

    def to_kv(self) -> dict[str, Any]:
        return {"version": self.version, "settings": self.doc}

    @classmethod
    def from_kv(cls, value: Any) -> HeadOffice:
        if not isinstance(value, Mapping):
            return cls()
        doc = value.get("settings")
        return cls(int(value.get("version") or 0), dict(doc) if isinstance(doc, Mapping) else {})


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``: tables merge key by key, anything else is replaced."""
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _leaves(doc: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for k, v in doc.items():
        path = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            yield from _leaves(v, path + ".")
        else:
            yield path, v


def locked_paths(doc: Mapping[str, Any]) -> frozenset[str]:
    """Dotted leaf paths the document sets: ``dispatch.fee_cap_fen``, ``carriers.dada.shop_no``."""
    return frozenset(p for p, _ in _leaves(doc))


def check_document(doc: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse what head office may not set; the document must also validate as settings.
    Returns it as plain JSON-able data."""
    for section, table in doc.items():
        if section not in ALLOWED:
            raise HeadOfficeRejected(f"[{section}] is set on each PC, not by head office")
        if not isinstance(table, Mapping):
            raise HeadOfficeRejected(f"[{section}] must be a table")
        allowed = ALLOWED[section]
        if allowed is not None and not set(table) <= allowed:
            extra = ", ".join(sorted(set(table) - allowed))
            raise HeadOfficeRejected(f"[{section}] {extra}: set on each PC, not by head office")
        if section == "carriers":
            for cid, keys in table.items():
                leaked = SECRET_KEYS & set(keys or {})
                if leaked:
                    raise HeadOfficeRejected(
                        f"[carriers.{cid}] {', '.join(sorted(leaked))}: secrets never travel in "
                        "head-office settings; they stay in each PC's keyring"
                    )
    try:
        overlay(Settings.model_validate({}), doc)
    except ValueError as e:
        raise HeadOfficeRejected(f"not valid settings: {e}") from None
    return copy.deepcopy(dict(doc))


def overlay(local: Settings, doc: Mapping[str, Any]) -> Settings:
    """The effective settings: ``local`` with the head-office document laid over it."""
    if not doc:
        return local
    data = deep_merge(local.model_dump(mode="json"), doc)
    return Settings.model_validate(data)


def _get(data: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    cur: Any = data
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def _put(data: dict[str, Any], path: str, present: bool, value: Any) -> None:
    *parents, last = path.split(".")
    cur = data
    for part in parents:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            if not present:
                return
            nxt = cur[part] = {}
        cur = nxt
    if present:
        cur[last] = copy.deepcopy(value)
    else:
        cur.pop(last, None)


def changed_locked(new: Settings, doc: Mapping[str, Any]) -> list[str]:
    """The locked paths whose value in ``new`` is not head office's."""
    if not doc:
        return []
    mine = new.model_dump(mode="json")
    theirs = overlay(new, doc).model_dump(mode="json")
    return sorted(p for p in locked_paths(doc) if _get(mine, p) != _get(theirs, p))


def local_part(new: Settings, local: Settings, doc: Mapping[str, Any]) -> Settings:
    """What the local file keeps of ``new``: every locked path back at the local value."""
    if not doc:
        return new
    data = new.model_dump(mode="json")
    before = local.model_dump(mode="json")
    for path in locked_paths(doc):
        present, value = _get(before, path)
        _put(data, path, present, value)
    return Settings.model_validate(data)
