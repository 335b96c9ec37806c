"""Property tests for the pure bill matcher."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core.reconciliation.matching import BillRow, Candidate, match_bill


@st.composite
def scenario(draw):
    n = draw(st.integers(0, 12))
    cands = [
        Candidate(
            attempt_id=i + 1,
            carrier_order_id=draw(st.sampled_from(["", f"C{i}"])),
            origin_id=f"O{i}",
            cost_fen=draw(st.integers(0, 5000)),
        )
        for i in range(n)
    ]
    ref = st.one_of(
        st.tuples(st.just("cid"), st.integers(0, max(n - 1, 0))),
        st.tuples(st.just("origin"), st.integers(0, max(n - 1, 0))),
        st.tuples(st.just("both"), st.integers(0, max(n - 1, 0))),
        st.tuples(st.just("unknown"), st.integers(0, 99)),
    )
    rows = []
    for line, (kind, i) in enumerate(draw(st.lists(ref, max_size=20)), start=1):
        amount = draw(st.integers(-1000, 9000))
        if kind == "unknown" or not cands:
            rows.append(BillRow(line, f"X{i}", f"Y{i}", amount))
        elif kind == "cid":
            rows.append(BillRow(line, f"C{i}", "", amount))
        elif kind == "origin":
            rows.append(BillRow(line, "", f"O{i}", amount))
        else:
            rows.append(BillRow(line, f"C{i}", f"O{i}", amount))
    return cands, rows


def resolves(row: BillRow, c: Candidate) -> bool:
    return bool(
        (row.carrier_order_id and row.carrier_order_id == c.carrier_order_id)
        or (row.origin_id and row.origin_id == c.origin_id)
    )


@given(scenario())
def test_every_row_and_attempt_used_at_most_once(data):
    cands, rows = data
    rep = match_bill("dada", rows, cands)
    lines = [m.row.line_no for m in rep.matches] + [u.row.line_no for u in rep.unmatched_rows]
    assert sorted(lines) == [r.line_no for r in rows]  # each row exactly once, in one list
    ids = [m.attempt.attempt_id for m in rep.matches]
    assert len(ids) == len(set(ids))
    assert all(resolves(m.row, m.attempt) for m in rep.matches)


@given(scenario())
def test_variances_sum_to_difference_of_totals(data):
    cands, rows = data
    rep = match_bill("dada", rows, cands)
    bill = sum(m.row.amount_fen for m in rep.matches)
    ours = sum(m.attempt.cost_fen for m in rep.matches)
    assert rep.variance_fen == bill - ours
    assert sum(m.variance_fen for m in rep.disputes) == bill - ours
    assert rep.bill_total_fen == sum(r.amount_fen for r in rows)


@given(scenario())
def test_unmatched_lists_are_exact(data):
    cands, rows = data
    rep = match_bill("dada", rows, cands)
    used = {m.attempt.attempt_id for m in rep.matches}
    assert list(rep.unmatched_attempts) == [
        c for c in cands if c.attempt_id not in used and c.cost_fen != 0
    ]
    for u in rep.unmatched_rows:
        hits = [c for c in cands if resolves(u.row, c)]
        if u.reason == "not_found":
            assert not hits
        else:  # a duplicate: what it points at was already paid by an earlier line
            assert u.reason == "duplicate" and hits and all(c.attempt_id in used for c in hits)
    # and nothing matchable was left: every unmatched row found no free attempt
    free = [c for c in cands if c.attempt_id not in used]
    assert not any(resolves(u.row, c) for u in rep.unmatched_rows for c in free)


def test_carrier_order_id_wins_over_origin_id():
    a = Candidate(1, "C1", "O1", 100)
    b = Candidate(2, "C2", "O2", 100)
    rep = match_bill("sf", [BillRow(1, "C1", "O2", 120)], [a, b])
    assert rep.matches[0].attempt == a and rep.matches[0].by == "carrier_order_id"
    assert rep.matches[0].variance_fen == 20
    assert rep.unmatched_attempts == (b,)
