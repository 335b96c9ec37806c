"""Which storage fault an exception is: a full disk, a read-only or a locked database.

Pure (the standard library only), so the window may name a fault in the cashier's
words without reaching into ``app.core.storage``; ``app.core.storage.faults`` keeps the
watch, the probe and the once-a-minute log around it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["full", "readonly", "busy"]

#: Retry-After (seconds) per fault: a lock passes quickly, disk space needs a human
RETRY_AFTER_S: dict[FaultKind, int] = {"busy": 2, "full": 30, "readonly": 30}

_SQLITE_NAMES: dict[str, FaultKind] = {
    "SQLITE_FULL": "full",
    "SQLITE_IOERR": "full",  # a write the OS refused; on a counter PC nearly always space
    "SQLITE_READONLY": "readonly",
    "SQLITE_CANTOPEN": "readonly",
    "SQLITE_BUSY": "busy",
    "SQLITE_LOCKED": "busy",
}
_SQLITE_WORDS: tuple[tuple[str, FaultKind], ...] = (
    ("database or disk is full", "full"),
    ("disk i/o error", "full"),
    ("readonly database", "readonly"),
    ("read-only", "readonly"),
    ("unable to open database file", "readonly"),
    ("database is locked", "busy"),
    ("database table is locked", "busy"),
)
_PG_STATES: dict[str, FaultKind] = {
    "53100": "full",  # disk_full
    "53200": "full",  # out_of_memory
    "25006": "readonly",  # read_only_sql_transaction
    "55P03": "busy",  # lock_not_available
    "40P01": "busy",  # deadlock_detected
}


@dataclass(frozen=True, slots=True)
class StorageFault:
    kind: FaultKind
    detail: str  # the driver's words, for the log

    @property
    def code(self) -> str:
        """The POS API's error code."""
        return f"storage_{self.kind}"

    @property
    def retry_after_s(self) -> int:
        return RETRY_AFTER_S[self.kind]


def classify(exc: BaseException) -> StorageFault | None:
    """The storage fault behind ``exc`` (a SQLAlchemy or DB-API error, any depth of
    ``__cause__`` / ``.orig``), or None when it is something else (a bug)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        kind = _kind_of(e)
        if kind is not None:
            return StorageFault(kind, str(e).splitlines()[0][:200] if str(e) else kind)
        orig = getattr(e, "orig", None)
        e = orig if isinstance(orig, BaseException) else (e.__cause__ or e.__context__)
    return None


def _kind_of(e: BaseException) -> FaultKind | None:
    if isinstance(e, sqlite3.Error):
        name = str(getattr(e, "sqlite_errorname", "") or "")
        for prefix, kind in _SQLITE_NAMES.items():
            if name == prefix or name.startswith(prefix + "_"):
                return kind
        words = str(e).lower()
        for text, kind in _SQLITE_WORDS:
            if text in words:
                return kind
        return None
    state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
    if isinstance(state, str):
        return _PG_STATES.get(state)
    return None
