"""Stores, enrolment codes, devices and store references: the hub's blocking database
work (callers on the event loop go through ``asyncio.to_thread``).

Codes and tokens are random; only their SHA-256 is stored, so a database dump lets no
one enrol or impersonate a counter PC. A code is single-use and expires (24 h default).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, insert, select, update

from app.hub.hq import audit
from app.hub.tables import devices, enrolments, pushes, store_refs, stores, unmapped

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone
NOTIFY_CHANNEL = "jupei_hub_push"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in (0, 4, 8))


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@dataclass(frozen=True, slots=True)
class StoreRow:
    id: str
    name: str
    group: str
    devices: int
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    store_id: str
    acked_cursor: int


@dataclass(frozen=True, slots=True)
class Enrolled:
    store_id: str
    store_name: str
    device_id: str
    token: str


@dataclass(frozen=True, slots=True)
class UnmappedRef:
    source: str
    ref: str
    pushes: int
    last_seen_at: datetime


class StoreNotFound(LookupError):
    pass


class HubRepo:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ stores
    def add_store(
        self, name: str, group: str, now: datetime, code_ttl: timedelta, actor: str = "admin"
    ) -> tuple[str, str]:
        """A new store and its first enrolment code: ``(store_id, code)``."""
        store_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            conn.execute(
                insert(stores).values(id=store_id, name=name, grp=group, push_seq=0, created_at=now)
            )
            audit(conn, now, actor, "store_added", store_id, {"name": name, "group": group})
        return store_id, self.new_enrolment(store_id, now, code_ttl, actor)

    def new_enrolment(
        self, store_id: str, now: datetime, code_ttl: timedelta, actor: str = "admin"
    ) -> str:
        code = new_code()
        with self.engine.begin() as conn:
            self._need_store(conn, store_id)
            audit(conn, now, actor, "enrolment_code_issued", store_id, {})
            conn.execute(
                insert(enrolments).values(
                    code_hash=digest(code),
                    store_id=store_id,
                    created_at=now,
                    expires_at=now + code_ttl,
                )
            )
        return code

    def list_stores(self) -> list[StoreRow]:
        with self.engine.connect() as conn:
            live = (
                select(devices.c.store_id, func.count().label("n"))
                .where(devices.c.revoked_at.is_(None))
                .group_by(devices.c.store_id)
                .subquery()
            )
            rows = conn.execute(
                select(stores.c.id, stores.c.name, stores.c.grp, live.c.n)
                .outerjoin(live, live.c.store_id == stores.c.id)
                .order_by(stores.c.grp, stores.c.name)
            ).all()
            refs: dict[str, list[str]] = {}
            for r in conn.execute(select(store_refs)).all():
                refs.setdefault(r.store_id, []).append(f"{r.source}:{r.ref}")
        return [
            StoreRow(r.id, r.name, r.grp, int(r.n or 0), tuple(sorted(refs.get(r.id, []))))
            for r in rows
        ]

    def revoke_store(self, store_id: str, now: datetime, actor: str = "admin") -> int:
        """Cut every device of the store off and void its unused codes; returns how many
        devices were live. The store, its mappings and its pushes stay."""
        with self.engine.begin() as conn:
            self._need_store(conn, store_id)
            n = conn.execute(
                update(devices)
                .where(devices.c.store_id == store_id, devices.c.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
            conn.execute(
                update(enrolments)
                .where(enrolments.c.store_id == store_id, enrolments.c.used_at.is_(None))
                .values(used_at=now)
            )
            audit(conn, now, actor, "store_revoked", store_id, {"devices": int(n)})
        return int(n)

    @staticmethod
    def _need_store(conn: Connection, store_id: str) -> None:
        if conn.execute(select(stores.c.id).where(stores.c.id == store_id)).first() is None:
            raise StoreNotFound(store_id)

    # ------------------------------------------------------------------ devices
    def enrol(self, code: str, device_name: str, now: datetime) -> Enrolled | None:
        """Exchange a live code for a device token (once); None when the code is unknown,
        used or expired."""
        token = "jph_" + secrets.token_urlsafe(32)
        device_id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            row = conn.execute(
                update(enrolments)
                .where(
                    enrolments.c.code_hash == digest(normalise_code(code)),
                    enrolments.c.used_at.is_(None),
                    enrolments.c.expires_at > now,
                )
                .values(used_at=now)
                .returning(enrolments.c.store_id)
            ).first()
            if row is None:
                return None
            store = conn.execute(select(stores.c.name).where(stores.c.id == row.store_id)).one()
            conn.execute(
                insert(devices).values(
                    id=device_id,
                    store_id=row.store_id,
                    name=device_name[:200],
                    token_hash=digest(token),
                    acked_cursor=0,
                    created_at=now,
                )
            )
            audit(
                conn,
                now,
                "device",
                "device_enrolled",
                row.store_id,
                {"device_id": device_id, "device_name": device_name[:200]},
            )
        return Enrolled(row.store_id, store.name, device_id, token)

    def device_for_token(self, token: str) -> Device | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(devices.c.id, devices.c.store_id, devices.c.acked_cursor).where(
                    devices.c.token_hash == digest(token), devices.c.revoked_at.is_(None)
                )
            ).first()
        return None if row is None else Device(row.id, row.store_id, int(row.acked_cursor))

    def ack(self, device: Device, cursor: int, now: datetime) -> int:
        """Remember the device's acknowledged cursor (never moves back); returns it."""
        with self.engine.begin() as conn:
            row = conn.execute(
                update(devices)
                .where(devices.c.id == device.id, devices.c.store_id == device.store_id)
                .values(
                    acked_cursor=func.greatest(devices.c.acked_cursor, cursor), last_seen_at=now
                )
                .returning(devices.c.acked_cursor)
            ).one()
        return int(row.acked_cursor)

    # ------------------------------------------------------------------ mapping
    def map_ref(
        self, store_id: str, source: str, ref: str, now: datetime, actor: str = "admin"
    ) -> int:
        """Map a platform store reference to a store and hand it the pushes queued under
        that reference (in arrival order). Returns how many were queued."""
        with self.engine.begin() as conn:
            self._need_store(conn, store_id)
            existing = conn.execute(
                select(store_refs.c.store_id).where(
                    store_refs.c.source == source, store_refs.c.ref == ref
                )
            ).first()
            if existing is not None and existing.store_id != store_id:
                raise ValueError(f"{source} {ref} is already mapped to store {existing.store_id}")
            if existing is None:
                conn.execute(
                    insert(store_refs).values(
                        source=source, ref=ref, store_id=store_id, created_at=now
                    )
                )
            # lock the store row first, as every push does: cursors stay in commit order
            seq = conn.execute(
                select(stores.c.push_seq).where(stores.c.id == store_id).with_for_update()
            ).scalar_one()
            queued = (
                conn.execute(
                    select(pushes.c.id)
                    .where(
                        pushes.c.store_id.is_(None),
                        pushes.c.source == source,
                        pushes.c.store_ref == ref,
                    )
                    .order_by(pushes.c.id)
                )
                .scalars()
                .all()
            )
            for push_id in queued:
                seq += 1
                conn.execute(
                    update(pushes).where(pushes.c.id == push_id).values(store_id=store_id, seq=seq)
                )
            conn.execute(update(stores).where(stores.c.id == store_id).values(push_seq=seq))
            conn.execute(
                unmapped.delete().where(unmapped.c.source == source, unmapped.c.ref == ref)
            )
            if queued:
                conn.execute(select(func.pg_notify(NOTIFY_CHANNEL, store_id)))
            audit(
                conn,
                now,
                actor,
                "store_ref_mapped",
                store_id,
                {"source": source, "ref": ref, "queued": len(queued)},
            )
        return len(queued)

    def list_unmapped(self) -> list[UnmappedRef]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(unmapped).order_by(unmapped.c.last_seen_at.desc())).all()
        return [UnmappedRef(r.source, r.ref, int(r.pushes), r.last_seen_at) for r in rows]
