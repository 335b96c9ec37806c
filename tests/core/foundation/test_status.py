"""The unified status model's transition rules (README §2 of the carrier notes)."""

from hypothesis import given
from hypothesis import strategies as st

from app.core.domain import DeliveryStatus as S
from app.core.domain import apply_update


def test_forward_progress_is_accepted():
    assert apply_update(S.PENDING_ACCEPT, S.ACCEPTED).accepted
    assert apply_update(S.ACCEPTED, S.PICKED_UP).status is S.PICKED_UP


def test_duplicate_and_out_of_order_are_ignored():
    assert not apply_update(S.PICKED_UP, S.PICKED_UP).accepted
    t = apply_update(S.PICKED_UP, S.ACCEPTED)
    assert not t.accepted and t.status is S.PICKED_UP and t.reason == "out of order"


def test_reassignment_steps_back_and_clears_rider():
    t = apply_update(S.ACCEPTED, S.PENDING_ACCEPT, reassignment=True)
    assert t.accepted and t.status is S.PENDING_ACCEPT and t.clear_rider


def test_terminal_is_final():
    for term in (S.DELIVERED, S.CANCELLED, S.RETURNED, S.CREATE_FAILED):
        for new in S:
            assert not apply_update(term, new, reassignment=True).accepted


def test_unknown_is_kept_raw_without_moving():
    t = apply_update(S.ACCEPTED, S.UNKNOWN)
    assert not t.accepted and t.status is S.ACCEPTED


def test_cancel_and_return_paths():
    assert apply_update(S.ACCEPTED, S.CANCEL_REQUESTED).status is S.CANCEL_REQUESTED
    assert apply_update(S.CANCEL_REQUESTED, S.CANCELLED).status is S.CANCELLED
    assert apply_update(S.CANCEL_REQUESTED, S.PICKED_UP).accepted  # cancel refused
    assert apply_update(S.PICKED_UP, S.RETURNING).status is S.RETURNING
    assert apply_update(S.RETURNING, S.RETURNED).status is S.RETURNED


@given(st.lists(st.tuples(st.sampled_from(list(S)), st.booleans()), max_size=40))
def test_any_sequence_never_leaves_a_terminal_state(events):
    status = S.SUBMITTING
    reached_terminal = None
    for new, reassign in events:
        status = apply_update(status, new, reassignment=reassign).status
        if status.terminal and reached_terminal is None:
            reached_terminal = status
        if reached_terminal is not None:
            assert status is reached_terminal
    assert status is not S.UNKNOWN


@given(st.permutations([S.PENDING_ACCEPT, S.ACCEPTED, S.AT_PICKUP, S.PICKED_UP, S.DELIVERED]))
def test_order_of_arrival_does_not_matter_for_the_final_state(seq):
    status = S.SUBMITTING
    for new in seq:
        status = apply_update(status, new).status
    # without reassignment, the watermark only rises; DELIVERED always wins
    assert status is S.DELIVERED
