"""Dispatch engine against the in-process sandboxes (speed 0; time moved by ``advance``)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta

import pytest

from app.core.dispatch.engine import DispatchQueued
from app.core.domain import DeliveryAttempt, DeliveryStatus, DispatchMode
from app.core.events import AlertRaised, ConnectivityChanged, QuoteCollected, QuoteFailed
from app.core.sandbox.engine import Faults, Scenario
from tests.core.dispatch.support import (
    add_order,
    attempts,
    cheapest,
    eng,
    events,
    order_state,
    sandbox,
)
from tests.helpers import started_core, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
S = DeliveryStatus


async def test_auto_dispatch_to_cheapest_tracked_to_delivered(tmp_path):
    async with started_core(tmp_path, dispatch={"mode": "auto"}) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        atts = await wait_until(lambda: _live_pending(core, oid, 1))
        evs = await events(core, oid)
        decision = next(x for x in evs if x.kind == "dispatch_decision")
        fees = decision.data["inputs"]["quotes"]
        assert atts[0].carrier == min(fees, key=fees.get) == decision.data["chosen"]
        assert len(fees) == 6 and "cheapest" in decision.message
        assert set(decision.data["why_not"]) == set(fees) - {atts[0].carrier}
        sb.advance(2000)
        await e.refresh(oid)
        await wait_until(lambda: _state_is(core, oid, "delivered"))
        a = (await attempts(core, oid))[0]
        assert a.status is S.DELIVERED and a.finished_at is not None and a.last_seen_at
        assert sb.live_count() == 0


async def _state_is(core, oid, state):
    return await order_state(core, oid) == state


async def test_failover_after_accept_timeout_exactly_one_delivery(tmp_path):
    async with started_core(tmp_path, dispatch={"accept_timeout_s": 1}) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        order = await cheapest(core, oid)
        sb.set_scenario(order[0], Scenario.NO_RIDER)
        first = await e.dispatch(oid)
        assert first.carrier == order[0]
        await wait_until(lambda: _live_pending(core, oid, 2), timeout=8)
        sb.advance(2000)  # the second carrier's rider comes and delivers
        await e.refresh(oid)
        await wait_until(lambda: _state_is(core, oid, "delivered"), timeout=8)
        atts = await attempts(core, oid)
        assert [a.status for a in atts] == [S.CANCELLED, S.DELIVERED]
        assert atts[1].carrier == order[1]
        sim = sb.find(order[0], atts[0].idempotency_key)
        assert sim is not None and sim.cancelled is not None
        assert atts[0].cancel_fee_fen == sim.cancelled[1]
        assert atts[0].cancel_requested_at is not None and atts[0].finished_at
        assert sb.live_count() == 0 and len(sb.orders[order[1]]) == 1
        kinds = [x.kind for x in await events(core, oid)]
        assert "failover" in kinds and kinds.count("dispatch_decision") == 2


async def _live_pending(core, oid, n):
    """n attempts, the last created at the carrier (advancing the sandbox before the
    create would expire the binding quote there)."""
    atts = await attempts(core, oid)
    return atts if len(atts) >= n and atts[-1].status is S.PENDING_ACCEPT else None


async def _n_attempts(core, oid, n):
    atts = await attempts(core, oid)
    return atts if len(atts) >= n else None


async def test_hung_carrier_does_not_hold_the_other_quotes(tmp_path):
    async with started_core(
        tmp_path, dispatch={"quote_timeout_s": 0.5, "quote_deadline_s": 1.0}
    ) as core:
        e, sb = eng(core), sandbox(core)
        sb.set_faults("sf", Faults(hang=True))
        got, failed = [], []
        core.service.bus.subscribe(QuoteCollected, got.append)
        core.service.bus.subscribe(QuoteFailed, failed.append)
        oid = await add_order(core)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        quotes = await e.collect_quotes(oid)
        assert loop.time() - t0 < 1.5
        assert {q.carrier for q in quotes} == {"dada", "shansong", "meituan", "fengniao", "uupt"}
        assert [f.carrier for f in failed] == ["sf"] and len(got) == 5


async def test_double_click_creates_one_attempt(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        a, b = await asyncio.gather(e.dispatch(oid), e.dispatch(oid))
        assert a.id == b.id
        assert len(await attempts(core, oid)) == 1
        assert sum(sb.create_calls.values()) == 1 and sb.live_count() == 1


async def test_tip_ladder_before_switching(tmp_path):
    async with started_core(
        tmp_path,
        dispatch={"accept_timeout_s": 1, "tip_ladder_fen": [200, 400]},
        carriers={c: {"enabled": False} for c in ("shansong", "meituan", "fengniao", "uupt")},
    ) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        sb.set_scenario("dada", Scenario.NO_RIDER)
        sb.set_scenario("sf", Scenario.NO_RIDER)
        first = await e.dispatch(oid, "dada")
        await wait_until(lambda: _n_attempts(core, oid, 2), timeout=10)
        a = (await attempts(core, oid))[0]
        assert a.tip_fen == 400 and a.tip_count == 2 and a.status is S.CANCELLED
        assert sb.find("dada", first.idempotency_key).tip_fen == 400  # type: ignore[union-attr]
        tips = [x for x in await events(core, oid) if x.kind == "tip_added"]
        assert [x.data["tip_fen"] for x in tips] == [200, 400]
        await core.service.dispatcher.cancel(oid, "test over")  # type: ignore[union-attr]


async def test_breaker_opens_and_half_open_probe_closes(tmp_path):
    async with started_core(
        tmp_path, dispatch={"breaker_failures": 2, "breaker_reset_s": 0.3}
    ) as core:
        e, sb = eng(core), sandbox(core)
        sb.set_faults("uupt", Faults(error_5xx=1.0))
        oid = await add_order(core)
        for _ in range(2):
            await e.collect_quotes(oid)
        assert "uupt" in e.breakers.open_set()
        quotes = await e.collect_quotes(oid)  # skipped while open
        assert "uupt" not in {q.carrier for q in quotes}
        assert sb.request_counts["uupt"] == 2
        sb.set_faults("uupt", Faults())
        await asyncio.sleep(0.35)
        quotes = await e.collect_quotes(oid)  # the half-open probe succeeds
        assert "uupt" in {q.carrier for q in quotes} and not e.breakers.open_set()


async def test_race_cancels_the_losers_free(tmp_path):
    async with started_core(tmp_path, dispatch={"race": True, "race_max": 2}) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        order = await cheapest(core, oid)
        third = core.service.gateway.get(order[2])  # a carrier whose cancel is never free
        third.rules = dataclasses.replace(
            third.rules, cancel=dataclasses.replace(third.rules.cancel, free_before_accept=False)
        )
        assert [s.carrier for s in e.submitter.racers(_ranked(order))] == order[:2]
        sb.set_scenario(order[1], Scenario.SLOW)
        await e.dispatch(oid)
        atts = await attempts(core, oid)
        assert sorted(a.carrier for a in atts) == sorted(order[:2])
        race = next(x for x in await events(core, oid) if x.kind == "race")
        assert "at_risk_fen" in race.data
        sb.advance(35)  # the first accepts, the slow one is still waiting
        await e.refresh(oid)
        # the winner may already be past ACCEPTED when a loaded machine polls late
        await wait_until(lambda: _winner_and_cancelled_loser(core, oid, order[0], order[1]))
        atts = {a.carrier: a for a in await attempts(core, oid)}
        assert atts[order[1]].cancel_fee_fen == 0 and sb.live_count() == 1


async def _winner_and_cancelled_loser(core, oid, winner, loser):
    atts = {a.carrier: a.status for a in await attempts(core, oid)}
    won = atts.get(winner)
    return (
        atts.get(loser) is S.CANCELLED
        and won is not None
        and not won.terminal
        and won.rank >= S.ACCEPTED.rank
    )


def _ranked(carriers):
    from app.core.dispatch.policy import Scored

    return [Scored(c, 100, 60, 0.8, 1.0, None) for c in carriers]  # type: ignore[arg-type]


async def _statuses(core, oid, want):
    return {a.status for a in await attempts(core, oid)} == want


async def test_offline_queues_then_resumes(tmp_path):
    async with started_core(
        tmp_path,
        dispatch={
            "offline_retry_s": 0.2,
            "quote_timeout_s": 0.3,
            "quote_deadline_s": 0.5,
            "breaker_failures": 100,
        },
    ) as core:
        e, sb = eng(core), sandbox(core)
        conn: list[ConnectivityChanged] = []
        core.service.bus.subscribe(ConnectivityChanged, conn.append)
        for cid in core.service.gateway.ids():
            sb.set_faults(cid, Faults(error_5xx=1.0))
        oid = await add_order(core)
        with pytest.raises(DispatchQueued):
            await e.dispatch(oid)
        assert await order_state(core, oid) == "queued"
        assert conn and conn[-1].online is False
        for cid in core.service.gateway.ids():
            sb.set_faults(cid, Faults())
        await wait_until(lambda: _statuses(core, oid, {S.PENDING_ACCEPT}), timeout=5)
        assert len(await attempts(core, oid)) == 1
        await wait_until(lambda: conn[-1].online)
        assert await order_state(core, oid) == "dispatching"


async def test_restart_resumes_polling_from_db(tmp_path):
    sb_engine = None
    async with started_core(tmp_path) as core:
        e, sb_engine = eng(core), sandbox(core)
        oid = await add_order(core)
        first = await e.dispatch(oid)
    async with started_core(tmp_path, engine=sb_engine) as core:
        e = eng(core)
        assert first.id in e.tracker.watched
        sb_engine.advance(2000)
        await wait_until(lambda: _state_is(core, oid, "delivered"), timeout=5)


async def test_operator_cancel_tip_and_self_delivery(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb = eng(core), sandbox(core)
        alerts: list[AlertRaised] = []
        core.service.bus.subscribe(AlertRaised, alerts.append)
        oid = await add_order(core)
        a = await e.dispatch(oid, "shansong")
        assert await e.cancel_preview(oid) == 0
        assert await e.add_tip(oid, 200) == 200
        with pytest.raises(Exception, match=r"multiple|minimum"):
            await e.add_tip(oid, 150)
        await e.mark_self_delivered(oid)
        atts = await attempts(core, oid)
        assert [(x.carrier, x.status) for x in atts] == [
            ("shansong", S.CANCELLED),
            ("self", S.DELIVERED),
        ]
        assert await order_state(core, oid) == "self_delivered" and sb.live_count() == 0
        oid2 = await add_order(core)
        await e.dispatch(oid2)
        assert await e.cancel(oid2, "customer changed mind") == 0
        assert await order_state(core, oid2) == "cancelled" and sb.live_count() == 0
        assert a.idempotency_key.isalnum() and len(a.idempotency_key) <= 32


async def test_redispatch_moves_to_another_carrier(tmp_path):
    async with started_core(tmp_path) as core:
        e = eng(core)
        oid = await add_order(core, dispatch_mode=DispatchMode.MANUAL)
        a = await e.dispatch(oid)
        b = await e.redispatch(oid)
        assert b.carrier != a.carrier and b.attempt_no == 2
        assert sandbox(core).live_count() == 1


async def test_callback_is_a_hint_that_triggers_a_query(tmp_path):
    async with started_core(tmp_path, callbacks={"enabled": True, "port": 0}) as core:
        e, sb = eng(core), sandbox(core)
        e.tracker.scale = 1000.0  # polling alone would not see anything for minutes
        oid = await add_order(core)
        a = await e.dispatch(oid, "dada")
        assert "/cb/dada/" in sb.find("dada", a.idempotency_key).callback_url  # type: ignore[union-attr]
        sb.advance(2000)
        await wait_until(lambda: _state_is(core, oid, "delivered"), timeout=5)
        evs = [x for x in await events(core, oid) if x.kind == "status"]
        assert evs and evs[-1].data["source"] == "poll"  # the change came from the query


async def test_rider_cancel_and_return_raise_alerts(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb = eng(core), sandbox(core)
        alerts: list[AlertRaised] = []
        core.service.bus.subscribe(AlertRaised, alerts.append)
        sb.set_scenario("sf", Scenario.RIDER_CANCELS)
        sb.set_scenario("dada", Scenario.RETURN)
        o1, o2 = await add_order(core), await add_order(core)
        await e.dispatch(o1, "sf")
        await e.dispatch(o2, "dada")
        for t in (35, 45, 40):  # accepted, rider withdrew, second rider accepted
            sb.advance(t)
            await e.refresh(o1)
        sb.advance(1200)
        await e.refresh(o1)
        await e.refresh(o2)
        kinds = {(x.order_id, x.kind) for x in alerts}
        assert (o1, "rider_cancelled") in kinds and (o2, "returning") in kinds
        assert await order_state(core, o1) == "delivered"
        assert await order_state(core, o2) == "attention"


async def test_auto_dispatch_waits_for_expected_ready_time(tmp_path):
    async with started_core(tmp_path, dispatch={"mode": "auto"}) as core:
        now = core.service.clock.now()
        later = await add_order(core, expected_ready_at=now + timedelta(hours=2))
        soon = await add_order(core, expected_ready_at=now + timedelta(seconds=60))
        await wait_until(lambda: _live_pending(core, soon, 1))  # ready - lead is past
        await wait_until(lambda: _state_is(core, later, "queued"))
        assert not await attempts(core, later)
        ev = next(x for x in await events(core, later) if x.kind == "auto_scheduled")
        assert datetime.fromisoformat(ev.data["at"]) < now + timedelta(hours=2)


async def test_no_rider_and_stale_alerts(tmp_path):
    async with started_core(
        tmp_path, alerts={"no_rider_after_min": 0.005}, dispatch={"stale_tracking_s": 0}
    ) as core:
        e = eng(core)
        e.tracker.scale = 1000.0  # no polls: last_seen_at ages
        alerts: list[AlertRaised] = []
        core.service.bus.subscribe(AlertRaised, alerts.append)
        oid = await add_order(core)
        await e.dispatch(oid)
        e.tracker.scale = 0.02
        await wait_until(lambda: {"no_rider", "stale"} <= {a.kind for a in alerts}, timeout=5)
        assert len([a for a in alerts if a.kind == "no_rider"]) == 1  # raised once


async def test_submitting_not_found_is_resent_once_with_the_same_key(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb, db = eng(core), sandbox(core), core.service.db
        oid = await add_order(core)
        await e.collect_quotes(oid)
        now = core.service.clock.now()
        att = DeliveryAttempt(oid, 1, "shansong", e.key_for(oid, 1), created_at=now)
        att = await db.run(db.insert_attempt, att)  # as if we died before the create left
        e.submitter.resume(att)
        await wait_until(lambda: _statuses(core, oid, {S.PENDING_ACCEPT}))
        atts = await attempts(core, oid)
        assert len(atts) == 1 and atts[0].idempotency_key == att.idempotency_key
        assert len(sb.orders["shansong"]) == 1
        assert sb.create_calls == {"shansong": 1} and sb.live_count() == 1
        assert "recreate" in [x.kind for x in await events(core, oid)]


async def test_expired_binding_quote_is_requoted_at_dispatch(tmp_path):
    async with started_core(tmp_path) as core:
        e, db = eng(core), core.service.db
        oid = await add_order(core)
        quotes = {q.carrier: q for q in await e.collect_quotes(oid)}
        old = quotes["dada"]
        assert old.binding
        past = core.service.clock.now() - timedelta(seconds=1)
        await db.run(db.add_quote, oid, dataclasses.replace(old, expires_at=past))
        a = await e.dispatch(oid, "dada")
        assert a.status is S.PENDING_ACCEPT and a.quote_token != old.token
        assert "requoted" in [x.kind for x in await events(core, oid)]


async def test_quote_expired_at_the_carrier_is_requoted_once(tmp_path):
    async with started_core(tmp_path) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        await e.collect_quotes(oid)
        sb.advance(600)  # the carrier's clock says the binding quote is gone; ours does not
        a = await e.dispatch(oid, "dada")
        atts = await attempts(core, oid)
        assert [x.status for x in atts] == [S.CREATE_FAILED, S.PENDING_ACCEPT]
        assert a.carrier == "dada" and a.id == atts[1].id and sb.live_count() == 1


async def test_race_winner_jumping_pending_to_delivered_cancels_the_loser(tmp_path):
    """Issue 18 item 8: between two polls the winner goes pending -> delivered (no
    acceptance ever seen); the other racer must still be cancelled (free, unaccepted) and
    the order's delivery (API and board) is the winning attempt, not the loser's."""
    from app.core.pos.views import order_detail

    async with started_core(tmp_path, dispatch={"race": True, "race_max": 2}) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        order = await cheapest(core, oid)
        sb.set_scenario(order[1], Scenario.NO_RIDER)  # the loser never gets a rider
        await e.dispatch(oid)
        await wait_until(lambda: _statuses(core, oid, {S.PENDING_ACCEPT}))
        sb.advance(2000)  # one jump: the winner's rider accepts, picks up and delivers
        await e.refresh(oid)
        await wait_until(lambda: _state_is(core, oid, "delivered"))
        await wait_until(lambda: _statuses(core, oid, {S.DELIVERED, S.CANCELLED}))
        atts = {a.carrier: a for a in await attempts(core, oid)}
        assert atts[order[0]].status is S.DELIVERED
        assert atts[order[1]].status is S.CANCELLED and atts[order[1]].cancel_fee_fen == 0
        assert sb.live_count() == 0
        sim = sb.find(order[1], atts[order[1]].idempotency_key)
        assert sim is not None and sim.cancelled is not None
        detail = await core.service.order_detail(oid)
        assert detail is not None
        body = order_detail(detail)
        assert body["delivery_status"] == "delivered"
        assert body["delivery"]["carrier"] == order[0]
        row = next(r for r in await core.service.board() if r.order.id == oid)
        assert row.attempt is not None and row.attempt.carrier == order[0]
        kinds = [x.kind for x in await events(core, oid)]
        assert "race_cancel" in kinds


async def test_meituan_unknown_create_is_resolved_by_resending(tmp_path):
    """Issue 18 item 1 (F1): 美团配送 cannot be asked about an order without its
    mt_peisong_id (the sandbox enforces the doc's required fields); an unknown create is
    settled by re-sending createByShop with the same ids (the same delivery)."""
    async with started_core(
        tmp_path, dispatch={"offline_retry_s": 0.2, "breaker_failures": 100}
    ) as core:
        e, sb = eng(core), sandbox(core)
        oid = await add_order(core)
        await e.collect_quotes(oid)
        sb.set_faults("meituan", Faults(error_5xx=1.0))
        first = await e.dispatch(oid, "meituan")
        assert first.status is S.SUBMITTING and not first.carrier_order_id
        sb.set_faults("meituan", Faults())
        # placed: pending, or already further on a loaded machine (the sandbox's rider
        # does not wait for this poll)
        (att,) = await wait_until(lambda: _placed(core, oid), timeout=8)
        (sim,) = sb.orders["meituan"].values()
        assert att.carrier_order_id == sim.carrier_order_id
        # the timeline rows follow the attempt's own update
        kinds = await wait_until(lambda: _kinds_with(core, oid, {"resent", "resolved"}))
        assert "outcome_unknown" in kinds
        assert sb.live_count() == 1


async def _kinds_with(core, oid, wanted):
    kinds = [x.kind for x in await events(core, oid)]
    return kinds if wanted <= set(kinds) else None


async def _placed(core, oid):
    atts = await attempts(core, oid)
    placed = all(
        a.carrier_order_id and not a.status.terminal and a.status.rank >= S.PENDING_ACCEPT.rank
        for a in atts
    )
    return atts if atts and placed else None
