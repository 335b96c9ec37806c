"""Head-office settings on the hub, and the hub's audit log. Blocking; callers on the event
loop go through ``asyncio.to_thread``.

Settings come in three layers — the brand, a group (``hub_store.grp``: a city, a
franchisee) and one store — each replaced whole by ``python -m app hub settings set``.
A store's document is brand ← group ← store (a later layer wins key by key; lists are
replaced, not joined), checked by ``app.core.headoffice.check_document`` (no secrets, no
local-only sections). Every change gets the next ``version`` under a table lock, so a
store's effective version (the newest of its three layers) only grows and a counter that
asks ``after=V`` never misses a change committed out of order.

Carrier accounts per store: the brand layer may name the brand's account (``[carriers.dada]
enabled``, ``app_key``/``source_id`` …) and each store layer its shop number (``shop_no``,
``shop_id`` …); a store on its own account sets its own ``app_key`` in its store layer.
Secrets stay in each PC's keyring either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from app.core.headoffice import check_document, deep_merge, locked_paths
from app.hub.tables import hub_audit, hub_settings, stores

SCOPES = ("brand", "group", "store")


@dataclass(frozen=True, slots=True)
class Layer:
    scope: str
    target: str
    version: int
    data: dict[str, Any]
    actor: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Effective:
    """A store's merged head-office document; version 0 when no layer applies."""

    version: int
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    store_id: str | None
    detail: dict[str, Any]


def audit(
    conn: Connection,
    now: datetime,
    actor: str,
    action: str,
    store_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """One audit row in the caller's transaction (it lands exactly when the change does)."""
    conn.execute(
        insert(hub_audit).values(
            at=now, actor=actor[:100], action=action, store_id=store_id, detail=dict(detail or {})
        )
    )


class HqRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def set_layer(
        self, scope: str, target: str, data: Mapping[str, Any], actor: str, now: datetime
    ) -> int:
        """Replace one layer; returns its new version. Raises ``HeadOfficeRejected``
        (bad document) or ``LookupError`` (no such store / group)."""
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
        doc = check_document(data)
        target = "" if scope == "brand" else target
        with self.engine.begin() as conn:
            # one writer at a time: versions commit in order (settings change rarely)
            conn.execute(text("LOCK TABLE hub_settings IN EXCLUSIVE MODE"))
            if (
                scope == "store"
                and conn.execute(select(stores.c.id).where(stores.c.id == target)).first() is None
            ):
                raise LookupError(f"no store {target}")
            if (
                scope == "group"
                and conn.execute(select(stores.c.id).where(stores.c.grp == target).limit(1)).first()
                is None
            ):
                raise LookupError(f"no store in group {target!r}")
            version = int(
                conn.execute(
                    insert(hub_settings)
                    .values(scope=scope, target=target, data=doc, actor=actor, created_at=now)
                    .returning(hub_settings.c.version)
                ).scalar_one()
            )
            audit(
                conn,
                now,
                actor,
                "settings_set",
                target if scope == "store" else None,
                {
                    "scope": scope,
                    "target": target,
                    "version": version,
                    "keys": sorted(locked_paths(doc)),
                },
            )
        return version

    def layer(self, conn: Connection, scope: str, target: str) -> Layer | None:
        row = conn.execute(
            select(hub_settings)
            .where(hub_settings.c.scope == scope, hub_settings.c.target == target)
            .order_by(hub_settings.c.version.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return Layer(row.scope, row.target, int(row.version), row.data, row.actor, row.created_at)

    def layers(self, scope: str, target: str) -> list[Layer]:
        """The history of one layer, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(hub_settings)
                .where(hub_settings.c.scope == scope, hub_settings.c.target == target)
                .order_by(hub_settings.c.version.desc())
            ).all()
        return [
            Layer(r.scope, r.target, int(r.version), r.data, r.actor, r.created_at) for r in rows
        ]

    def effective(self, store_id: str) -> Effective:
        """The store's document: brand ← its group ← itself."""
        with self.engine.connect() as conn:
            grp = conn.execute(select(stores.c.grp).where(stores.c.id == store_id)).scalar()
            if grp is None:
                raise LookupError(f"no store {store_id}")
            found = [
                self.layer(conn, "brand", ""),
                self.layer(conn, "group", grp) if grp else None,
                self.layer(conn, "store", store_id),
            ]
        doc: dict[str, Any] = {}
        version = 0
        for layer in found:
            if layer is not None:
                doc = deep_merge(doc, layer.data)
                version = max(version, layer.version)
        return Effective(version, doc)

    def audit_entries(self, limit: int = 100, store_id: str | None = None) -> list[AuditEntry]:
        q = select(hub_audit).order_by(hub_audit.c.id.desc()).limit(limit)
        if store_id:
            q = q.where(hub_audit.c.store_id == store_id)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [AuditEntry(r.at, r.actor, r.action, r.store_id, r.detail) for r in rows]
