"""Pure bill matching: carrier statement lines against our attempts.

A line matches by carrier order id first, then by our origin id (the attempt's
idempotency key). Every line and every attempt is used at most once: a second line for
an already-matched attempt is reported as a duplicate, unmatched. Variance is
``bill amount - our net cost`` in fen, per matched line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class BillRow:
    line_no: int  # 1-based data line in the statement (header excluded)
    carrier_order_id: str
    origin_id: str
    amount_fen: int
    bill_date: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One of our attempts that a bill line may pay for."""

    attempt_id: int
    carrier_order_id: str
    origin_id: str
    cost_fen: int
    pos_order_id: str = ""
    business_date: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    row: BillRow
    attempt: Candidate
    by: str  # "carrier_order_id" | "origin_id"

    @property
    def variance_fen(self) -> int:
        return self.row.amount_fen - self.attempt.cost_fen


@dataclass(frozen=True, slots=True)
class Unmatched:
    row: BillRow
    reason: str  # "not_found" | "duplicate"


@dataclass(frozen=True, slots=True)
class MatchReport:
    carrier: str
    matches: tuple[Match, ...]
    unmatched_rows: tuple[Unmatched, ...]
    unmatched_attempts: tuple[Candidate, ...]
    import_id: str = ""
    date_from: str = ""
    date_to: str = ""

    @property
    def variance_fen(self) -> int:
        return sum(m.variance_fen for m in self.matches)

    @property
    def disputes(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.variance_fen != 0)

    @property
    def bill_total_fen(self) -> int:
        return sum(m.row.amount_fen for m in self.matches) + sum(
            u.row.amount_fen for u in self.unmatched_rows
        )

    def counts(self) -> dict[str, int]:
        return {
            "matched": len(self.matches),
            "disputes": len(self.disputes),
            "unmatched_rows": len(self.unmatched_rows),
            "unmatched_attempts": len(self.unmatched_attempts),
            "variance_fen": self.variance_fen,
        }


def _index(cands: Sequence[Candidate], attr: str) -> dict[str, Candidate]:
    out: dict[str, Candidate] = {}
    for c in cands:
        key = getattr(c, attr).strip()
        if key and key not in out:  # first wins; ids are unique in practice
            out[key] = c
    return out


def match_bill(
    carrier: str,
    rows: Iterable[BillRow],
    candidates: Sequence[Candidate],
    *,
    report_unbilled: bool = True,
) -> MatchReport:
    """Match statement lines to attempts. ``report_unbilled`` lists attempts with a
    non-zero cost that no line paid (zero-cost attempts are not expected on a bill)."""
    by_cid = _index(candidates, "carrier_order_id")
    by_origin = _index(candidates, "origin_id")
    used: set[int] = set()
    matches: list[Match] = []
    unmatched: list[Unmatched] = []
    for row in rows:
        hit, by = _lookup(row, by_cid, by_origin)
        if hit is None:
            unmatched.append(Unmatched(row, "not_found"))
        elif hit.attempt_id in used:
            unmatched.append(Unmatched(row, "duplicate"))
        else:
            used.add(hit.attempt_id)
            matches.append(Match(row, hit, by))
    left = tuple(
        c
        for c in candidates
        if c.attempt_id not in used and (c.cost_fen != 0 or not report_unbilled)
    )
    return MatchReport(carrier, tuple(matches), tuple(unmatched), left if report_unbilled else ())


def _lookup(
    row: BillRow, by_cid: dict[str, Candidate], by_origin: dict[str, Candidate]
) -> tuple[Candidate | None, str]:
    cid, origin = row.carrier_order_id.strip(), row.origin_id.strip()
    if cid and cid in by_cid:
        return by_cid[cid], "carrier_order_id"
    if origin and origin in by_origin:
        return by_origin[origin], "origin_id"
    return None, ""
