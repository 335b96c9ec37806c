"""The source desk wired into a started core, over loopback against the 美团 simulator:
a signed push reaches the real listener, is stored, becomes a board order with its day
number, is auto-confirmed on the simulator, and a repeat creates nothing; a platform
cancel cancels the live carrier attempt (fee preview, alert, timeline); a platform
delivery order is never dispatched; a stalled platform delivery switches to
self-delivery (转自配送) and is then dispatched like any self-delivery order."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.bootstrap import Core, build_core
from app.core.dispatch.context import DispatchError
from app.core.dispatch.engine import dispatchable
from app.core.domain import DeliveryStatus, OrderState
from app.core.domain.attention import AttentionReason
from app.core.domain.source_order import SourceOrderState
from app.core.events import (
    AlertCleared,
    AlertKind,
    AlertRaised,
    SourceHealthChanged,
    SourceOrderArrived,
    SourceOrderUpdated,
)
from app.core.sandbox.engine import SandboxEngine
from app.core.sandbox.sources.common import LoopbackServer
from app.core.sandbox.sources.eleme import ElemeSim
from app.core.sandbox.sources.meituan import MeituanSim
from app.core.secrets import MemorySecretStore
from app.core.sources.desk import RESERVATION_READY_BEFORE, STALL_MESSAGE, SourceDesk
from app.core.sources.eleme import RULES as ELEME_RULES
from app.core.sources.meituan import RULES
from app.core.storage import tables as t
from tests.helpers import make_settings, sample_order, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

# a point near the demo store (Shanghai), degrees x 1e6 as 美团 sends them
NEAR_STORE = {"latitude": 31233000, "longitude": 121476000}
SELF = "0000"  # logistics_code of a self-delivered (商家自配) order
PLATFORM = "1001"  # 美团专送


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class DeskRig:
    core: Core
    desk: SourceDesk
    sim: MeituanSim
    events: list[object]

    async def push_new(self, **fields: object) -> tuple[str, int]:
        """A new 美团 order pushed to the listener; (source order id, board order id)."""
        oid = self.sim.new_order(**{**NEAR_STORE, **fields})
        assert await self.sim.push_order(oid)
        await self.desk.drain()
        order_id = await self.desk.store.order_id("meituan", oid)
        assert order_id is not None
        return oid, order_id

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


@asynccontextmanager
async def desk_rig(tmp_path, sim: MeituanSim | None = None, **overrides) -> AsyncIterator[DeskRig]:
    sim = sim or MeituanSim()
    eleme: ElemeSim | None = overrides.pop("eleme_sim", None)
    secrets: MemorySecretStore = overrides.pop("secrets", None) or MemorySecretStore()
    async with (
        LoopbackServer(sim.make_app()) as api,
        LoopbackServer((eleme or ElemeSim()).make_app()) as el_api,
    ):
        port = _free_port()
        if eleme is not None:
            eleme.push_url = f"http://127.0.0.1:{port}/api/v1/sources/eleme/push"
            el_creds = ELEME_RULES.rehearsal_credentials
            overrides.setdefault("sources", {})["eleme"] = {
                "mode": "push",
                "base_url": el_api.url + "/api/v1/",
                "pull_interval_s": 3600,
                **el_creds,
            }
        push_base = f"http://127.0.0.1:{port}/api/v1/sources/meituan"
        creds = dict(RULES.rehearsal_credentials)
        meituan = {
            "mode": "push",
            "base_url": api.url + "/api/v1/",
            "push_base_url": push_base,
            "pull_interval_s": 3600,
            "app_id": creds["app_id"],
            "app_poi_code": creds["app_poi_code"],
            "app_secret": creds["app_secret"],
            **overrides.pop("meituan", {}),
        }
        sim.push_base_url = push_base
        sources = {"meituan": meituan, **overrides.pop("sources", {})}
        settings = make_settings(tmp_path, sources=sources, **overrides)
        settings = settings.model_copy(
            update={"pos": settings.pos.model_copy(update={"port": port})}
        )
        core = build_core(settings, secrets=secrets, sandbox_engine=SandboxEngine(seed=1, speed=0))
        events: list[object] = []
        core.service.subscribe_all(events.append)
        await core.start()
        try:
            desk = core.sources
            assert desk is not None and core.pos_listener.port == port
            await wait_until(lambda: all(h.state == "healthy" for h in desk.health()))
            await desk.drain()
            yield DeskRig(core, desk, sim, events)
        finally:
            await core.stop()


async def test_push_to_board_confirmed_and_a_repeat_creates_nothing(tmp_path):
    async with desk_rig(tmp_path) as rig:
        svc = rig.core.service
        oid, order_id = await rig.push_new(logistics_code=SELF)
        so = await svc.source_order(order_id)
        assert so is not None and so.source_order_id == oid
        order = (await svc.order_detail(order_id)).order
        assert order.pickup_no == "美团 #1" and order.pos_order_id == f"meituan:{oid}"
        assert order.extra["dispatch"] is True
        assert rig.sim.orders[oid].fields["status"] == 4  # auto-confirmed on the platform
        arrived = rig.of(SourceOrderArrived)
        assert [(e.order_id, e.pickup_no, e.ring) for e in arrived] == [(order_id, "美团 #1", True)]
        assert any(e.state == "confirmed" for e in rig.of(SourceOrderUpdated))

        count = await svc.db.run(svc.db.count_orders)
        assert await rig.sim.push_order(oid)  # the platform repeats the push
        await rig.desk.drain()
        assert await svc.db.run(svc.db.count_orders) == count
        assert len(rig.of(SourceOrderArrived)) == 1
        await wait_until(lambda: any(e.state == "healthy" for e in rig.of(SourceHealthChanged)))
        assert [h.source for h in svc.source_health()] == ["meituan"]
        assert svc.source_health()[0] is not rig.desk.runners["meituan"].health  # a copy


async def test_badly_signed_push_is_refused_and_stores_nothing(tmp_path):
    async with desk_rig(tmp_path) as rig:
        svc = rig.core.service
        rig.sim.secret = "not-the-app-secret"
        oid = rig.sim.new_order(**NEAR_STORE)
        assert not await rig.sim.push_order(oid)
        assert rig.sim.log.deliveries[-1].status == 400
        await rig.desk.drain()
        assert await rig.desk.store.get("meituan", oid) is None
        assert await svc.db.run(svc.db.count_orders) == 0


async def test_platform_cancel_cancels_the_live_attempt(tmp_path):
    async with desk_rig(tmp_path) as rig:
        svc = rig.core.service
        oid, order_id = await rig.push_new(logistics_code=SELF)
        attempt = await svc.dispatch(order_id)
        assert attempt.status.live
        assert await rig.sim.push("cancel", rig.sim.user_cancel(oid))
        await rig.desk.drain()
        detail = await svc.order_detail(order_id)
        assert detail is not None and detail.order.state is OrderState.CANCELLED
        assert [a.status for a in detail.attempts] == [DeliveryStatus.CANCELLED]
        kinds = [e.kind for e in detail.events]
        assert kinds.count("platform_cancelled") == 2  # the fee preview, then the outcome
        codes = [e.data["code"] for e in detail.events if e.kind == "platform_cancelled"]
        assert codes == ["cancelling", "delivery_cancelled"]  # for the UI's own words
        assert all(
            e.data["label"] == "美团 #1" and e.data["refunded"] is False
            for e in detail.events
            if e.kind == "platform_cancelled"
        )
        alerts = [a for a in rig.of(AlertRaised) if a.reason is AttentionReason.PLATFORM_CANCELLED]
        assert len(alerts) == 1 and "配送已取消" in alerts[0].message
        assert alerts[0].order_label == "美团 #1"


async def test_platform_cancel_without_an_attempt_cancels_the_order(tmp_path):
    async with desk_rig(tmp_path) as rig:
        svc = rig.core.service
        oid, order_id = await rig.push_new(logistics_code=SELF)
        rig.sim.refund(oid, "agree")
        assert await rig.sim.push("refund", {"order_id": oid, "notify_type": "agree"})
        await rig.desk.drain()
        detail = await svc.order_detail(order_id)
        assert detail is not None and detail.order.state is OrderState.CANCELLED
        assert detail.attempts == []
        assert "platform_cancelled" in [e.kind for e in detail.events]


async def test_platform_delivery_order_is_never_dispatched(tmp_path):
    async with desk_rig(tmp_path, dispatch={"mode": "auto"}) as rig:
        svc = rig.core.service
        _oid, order_id = await rig.push_new(logistics_code=PLATFORM)
        order = (await svc.order_detail(order_id)).order
        assert order.extra["dispatch"] is False and order.extra["fulfilment"] == "platform_delivery"
        assert not dispatchable(order)
        with pytest.raises(DispatchError, match="platform"):
            await svc.dispatch(order_id)
        await rig.core.dispatcher.on_order_received(order_id)  # what auto-dispatch runs
        assert (await svc.order_detail(order_id)).attempts == []
        # a self-delivery order from the same platform is auto-dispatched
        _oid2, order2 = await rig.push_new(logistics_code=SELF)
        await wait_until(lambda: _has_attempt(svc, order2))


def _has_attempt(svc, order_id: int) -> bool:
    return bool(svc.db.attempts_for_order(order_id))


async def test_stalled_platform_delivery_converts_to_self_delivery(tmp_path):
    async with desk_rig(tmp_path, meituan={"platform_stall_min": 0}) as rig:
        svc = rig.core.service
        _oid, order_id = await rig.push_new(logistics_code=PLATFORM)
        assert await rig.desk.check_stalls() == [order_id]
        assert await rig.desk.check_stalls() == []  # marked once
        rig.desk.parts.stalled.clear()  # as after a restart: the board order says it already
        assert await rig.desk.check_stalls() == [] and svc.source_stalled(order_id)
        assert svc.source_stalled(order_id)
        order = (await svc.order_detail(order_id)).order
        assert order.state is OrderState.ATTENTION
        alert = [a for a in rig.of(AlertRaised) if a.reason is AttentionReason.PLATFORM_STALLED]
        assert len(alert) == 1 and STALL_MESSAGE in alert[0].message

        await svc.convert_to_self_delivery(order_id)
        assert "order/logistics/change/poi_self" in [c.path for c in rig.sim.log.calls]
        order = (await svc.order_detail(order_id)).order
        assert order.state is OrderState.NEW and order.extra["dispatch"] is True
        assert order.extra["fulfilment"] == "self_delivery" and not svc.source_stalled(order_id)
        attempt = await svc.dispatch(order_id)
        assert attempt.status.live
        events = [e.kind for e in (await svc.order_detail(order_id)).events]
        assert "platform_stalled" in events and "source_self_delivery" in events


async def test_platform_delivery_completes_with_the_platform(tmp_path):
    async with desk_rig(tmp_path) as rig:
        svc = rig.core.service
        oid, order_id = await rig.push_new(logistics_code=PLATFORM)
        rig.sim.orders[oid].fields.update(status=8, utime=rig.sim.orders[oid].fields["utime"] + 60)
        assert await rig.sim.push_order(oid)
        await rig.desk.drain()
        detail = await svc.order_detail(order_id)
        assert detail is not None and detail.order.state is OrderState.DELIVERED
        assert detail.attempts == [] and "platform_completed" in [e.kind for e in detail.events]


async def test_an_order_stored_before_a_stop_reaches_the_board_after_restart(tmp_path):
    sim = MeituanSim()
    async with desk_rig(tmp_path, sim) as rig:
        oid = sim.new_order(**NEAR_STORE)
        # the push was stored, then the app died before the board saw it
        stored = await rig.desk.connectors["meituan"].get_order(oid)
        assert await rig.desk.store.upsert(stored)
        assert sim.orders[oid].fields["status"] == 2
    async with desk_rig(tmp_path, sim) as rig:
        order_id = await rig.desk.store.order_id("meituan", oid)
        assert order_id is not None
        assert [e.source_order_id for e in rig.of(SourceOrderArrived)] == [oid]
        assert sim.orders[oid].fields["status"] == 4  # confirmed after all
        assert await rig.core.service.db.run(rig.core.service.db.count_orders) == 1


async def test_eleme_push_reaches_the_board_and_its_cancel_cancels_it(tmp_path):
    el = ElemeSim()
    async with desk_rig(tmp_path, eleme_sim=el) as rig:
        svc = rig.core.service
        oid = el.new_order(deliveryGeo="121.476000,31.233000")
        assert await el.push_new_order(oid)
        await rig.desk.drain()
        order_id = await rig.desk.store.order_id("eleme", oid)
        assert order_id is not None
        order = (await svc.order_detail(order_id)).order
        assert order.pickup_no == "饿了么 #1" and order.pos_order_id == f"eleme:{oid}"
        assert el.orders[oid].doc["status"] != "unprocessed"  # auto-confirmed
        assert await el.push(*el.user_cancel(oid))
        await rig.desk.drain()
        assert (await svc.order_detail(order_id)).order.state is OrderState.CANCELLED
        assert {h.source for h in svc.source_health()} == {"meituan", "eleme"}


async def test_a_source_switched_on_in_the_settings_runs_without_a_restart(tmp_path):
    async with desk_rig(tmp_path, meituan={"mode": "off", "app_secret": ""}) as rig:
        svc, desk = rig.core.service, rig.desk
        assert desk.runners == {} and svc.source_health() == []
        assert not rig.core.syncback_running  # no source, no sync-back work
        refused = rig.sim.new_order(**NEAR_STORE)
        assert not await rig.sim.push_order(refused)  # off: the route answers 404
        assert rig.sim.log.deliveries[-1].status == 404

        svc.config_path = tmp_path / "jupei.toml"
        svc.set_source_secret("meituan", "app_secret", RULES.rehearsal_credentials["app_secret"])
        sources = svc.settings.sources.model_copy(
            update={"meituan": svc.settings.sources.meituan.model_copy(update={"mode": "push"})}
        )
        await svc.save_settings(svc.settings.model_copy(update={"sources": sources}))
        await wait_until(lambda: "meituan" in desk.runners)
        await wait_until(lambda: rig.core.syncback_running)
        await wait_until(lambda: [h.state for h in desk.health()] == ["healthy"])
        assert await desk.store.order_id("meituan", refused) is not None  # the pull found it
        _oid, order_id = await rig.push_new(logistics_code=SELF)
        assert (await svc.order_detail(order_id)).order.pickup_no == "美团 #2"

        sources = sources.model_copy(
            update={"meituan": sources.meituan.model_copy(update={"mode": "off"})}
        )
        await svc.save_settings(svc.settings.model_copy(update={"sources": sources}))
        await wait_until(lambda: desk.runners == {})
        assert not await rig.sim.push_order(rig.sim.new_order(**NEAR_STORE))


async def test_a_reservation_is_dispatched_before_its_time_not_at_once(tmp_path):
    async with desk_rig(tmp_path, dispatch={"mode": "auto"}) as rig:
        svc = rig.core.service
        _oid, order_id = await rig.push_new(logistics_code=SELF, reservation_s=3 * 3600)
        order = (await svc.order_detail(order_id)).order
        assert order.scheduled_at is not None and order.expected_ready_at is not None
        assert order.scheduled_at - order.expected_ready_at == RESERVATION_READY_BEFORE

        async def scheduled() -> bool:
            d = await svc.order_detail(order_id)
            return any(e.kind == "auto_scheduled" for e in d.events)

        await wait_until(scheduled)
        detail = await svc.order_detail(order_id)
        assert detail.attempts == [] and detail.order.state is OrderState.QUEUED


async def test_platform_taking_over_delivery_stops_dispatch_and_flags_a_live_attempt(tmp_path):
    el = ElemeSim()
    async with desk_rig(tmp_path, eleme_sim=el) as rig:
        svc = rig.core.service
        oid = el.new_order(deliveryGeo="121.476000,31.233000")
        assert await el.push_new_order(oid)
        await rig.desk.drain()
        order_id = await rig.desk.store.order_id("eleme", oid)
        assert order_id is not None
        assert (await svc.dispatch(order_id)).status.live  # 自配送 by default (ASSUMED)
        assert await el.push(52, {"orderId": oid})  # 蜂鸟 looks for a rider: Ele.me delivers
        await rig.desk.drain()
        detail = await svc.order_detail(order_id)
        assert detail.order.extra["dispatch"] is False
        assert detail.order.extra["fulfilment"] == "platform_delivery"
        assert {"source_fulfilment", "platform_delivery"} <= {e.kind for e in detail.events}
        critical = [a for a in rig.of(AlertRaised) if a.severity == "critical"]
        assert len(critical) == 1 and "请确认是否取消" in critical[0].message
        assert critical[0].reason is AttentionReason.PLATFORM_TOOK_OVER
        (moved,) = [e for e in detail.events if e.kind == "source_fulfilment"]
        assert (moved.data["code"], moved.data["live_attempt"]) == ("to_platform", True)
        assert detail.attempt is not None and detail.attempt.status.live  # the cashier decides


async def test_confirm_and_reject_by_hand(tmp_path):
    async with desk_rig(tmp_path, meituan={"auto_confirm": False}) as rig:
        svc = rig.core.service
        oid, order_id = await rig.push_new(logistics_code=SELF)
        assert rig.sim.orders[oid].fields["status"] == 2  # waiting for the shop
        assert (await svc.source_order(order_id)).state is SourceOrderState.NEW
        await svc.confirm_source_order(order_id)
        assert rig.sim.orders[oid].fields["status"] == 4
        assert (await svc.source_order(order_id)).state is SourceOrderState.CONFIRMED

        other, other_id = await rig.push_new(logistics_code=SELF)
        await svc.reject_source_order(other_id, reason="商品已售完")
        await rig.desk.drain()
        assert rig.sim.orders[other].fields["status"] == 9
        cancel = [c for c in rig.sim.log.calls if c.path == "order/cancel"]
        assert cancel and cancel[-1].params["reason"] == "商品已售完"
        detail = await svc.order_detail(other_id)
        assert detail.order.state is OrderState.CANCELLED
        kinds = [e.kind for e in detail.events]
        assert "source_rejected" in kinds and "platform_cancelled" not in kinds
        assert (await svc.order_detail(order_id)).order.state is OrderState.NEW


async def test_pos_orders_stay_dispatchable():
    assert dispatchable(sample_order())
    assert not dispatchable(sample_order(extra={"dispatch": False}))


@pytest.mark.allow_warnings  # giving up on 接单 is logged as a warning
async def test_a_failing_auto_confirm_is_retried_then_alerted_never_holding_the_board(tmp_path):
    async with desk_rig(tmp_path) as rig:
        svc = rig.core.service
        for runner in rig.desk.runners.values():
            runner.confirm_backoff_s = (0.0, 0.0)
        rig.sim.faults.server_errors = 3  # each 接单 try meets a 502; the re-read works
        oid, order_id = await rig.push_new(logistics_code=SELF)
        assert [e.order_id for e in rig.of(SourceOrderArrived)] == [order_id]
        assert rig.sim.orders[oid].fields["status"] == 2
        assert [p for p, why in rig.sim.log.rejected if why == "502"] == ["order/confirm"] * 3
        alerts = [
            a for a in rig.of(AlertRaised) if a.reason is AttentionReason.SOURCE_CONFIRM_FAILED
        ]
        assert len(alerts) == 1 and alerts[0].message == "美团 #1 自动接单失败，请手动接单"
        assert alerts[0].order_label == "美团 #1" and alerts[0].order_id == order_id
        failed = [e for e in (await svc.order_detail(order_id)).events]
        failed = [e for e in failed if e.kind == "source_confirm_failed"]
        assert len(failed) == 1 and failed[0].data["tries"] == 3
        assert failed[0].data["code"] == "auto_confirm_failed"

        await svc.confirm_source_order(order_id)  # by hand: the alert goes
        assert rig.sim.orders[oid].fields["status"] == 4
        assert any(isinstance(e, AlertCleared) and e.order_id == order_id for e in rig.events)


async def test_a_secret_set_without_a_settings_save_takes_effect(tmp_path):
    keyring = MemorySecretStore(
        {"sources.meituan.app_secret": RULES.rehearsal_credentials["app_secret"]}
    )
    async with desk_rig(tmp_path, secrets=keyring, meituan={"app_secret": ""}) as rig:
        svc, desk = rig.core.service, rig.desk
        rig.sim.secret = "rotated-secret"  # the merchant rotates it in the platform console
        refused = rig.sim.new_order(**NEAR_STORE)
        assert not await rig.sim.push_order(refused)  # the desk still checks the old one
        assert rig.sim.log.deliveries[-1].status == 400
        before = desk.connectors["meituan"]
        # ... and pastes it: the settings page calls this on the GUI thread (the 饿了么 code
        # exchange off the loop too), with no settings save after it
        await asyncio.to_thread(svc.set_source_secret, "meituan", "app_secret", "rotated-secret")
        await wait_until(lambda: desk.connectors.get("meituan") not in (None, before))
        await wait_until(lambda: [h.state for h in desk.health()] == ["healthy"])
        await desk.drain()
        assert await desk.store.order_id("meituan", refused) is not None  # its catch-up
        _oid, order_id = await rig.push_new(logistics_code=SELF)
        assert (await svc.order_detail(order_id)).order.pickup_no == "美团 #2"


@pytest.mark.allow_warnings  # the self-delivery order is flagged too old: a WARNING
async def test_a_restart_in_auto_mode_never_calls_a_platform_delivery_too_old(tmp_path):
    sim = MeituanSim()
    auto = {"mode": "auto", "resume_max_age_min": 0}  # every waiting order is "too old"
    async with desk_rig(tmp_path, sim, meituan={"auto_confirm": False}) as rig:
        _oid, platform_id = await rig.push_new(logistics_code=PLATFORM)
        _oid, ours_id = await rig.push_new(logistics_code=SELF)  # manual mode: waits
    async with desk_rig(tmp_path, sim, dispatch=auto) as rig:
        svc = rig.core.service
        backlog = rig.core.dispatcher.backlog
        assert backlog.task is not None
        await backlog.task
        assert backlog.stats.flagged == 1
        ours = await svc.order_detail(ours_id)
        assert ours.order.state is OrderState.ATTENTION
        platform = await svc.order_detail(platform_id)
        assert platform.order.state is OrderState.NEW and platform.attempts == []
        assert "too_old" not in [e.kind for e in platform.events]


async def test_the_stall_clock_and_the_platform_rider_outlive_a_restart(tmp_path):
    sim = MeituanSim()
    stall = {"platform_stall_min": 10}
    paid = int(sim.clock.now().timestamp()) - 1800  # paid half an hour ago

    async def status(rig: DeskRig, oid: str, logistics_status: int) -> None:
        fields = {"order_id": oid, "logistics_status": logistics_status, "time": paid + 1700}
        assert await rig.sim.push("status", fields)
        await rig.desk.drain()

    async with desk_rig(tmp_path, sim, meituan=stall) as rig:
        rider, rider_id = await rig.push_new(logistics_code=PLATFORM, ctime=paid)
        await status(rig, rider, 10)  # a platform rider accepted
        again, again_id = await rig.push_new(logistics_code=PLATFORM, ctime=paid)
        await status(rig, again, 10)
        await status(rig, again, 100)  # ... and dropped it just now: waiting again from now
        _oid, waiting_id = await rig.push_new(logistics_code=PLATFORM, ctime=paid)
        assert await rig.desk.check_stalls() == [waiting_id]  # no rider for 30 min
    async with desk_rig(tmp_path, sim, meituan=stall) as rig:
        desk = rig.desk
        assert await desk.check_stalls() == []  # restarted: nothing looks stalled anew
        assert desk.is_stalled(waiting_id)  # known from the board order
        assert not desk.is_stalled(rider_id) and not desk.is_stalled(again_id)
        status_, since = await desk.store.platform_rider("meituan", again)
        assert status_ is DeliveryStatus.CANCELLED
        assert since > sim.clock.now() - timedelta(minutes=5)  # not the payment time
        kinds = [e.kind for e in (await rig.core.service.order_detail(again_id)).events]
        assert kinds.count("platform_delivery") == 2  # accepted, cancelled; no repeats


async def test_a_customer_asking_for_a_refund_is_an_alert_with_its_reason(tmp_path):
    async with desk_rig(tmp_path) as rig:
        oid, order_id = await rig.push_new(logistics_code=SELF)
        assert await rig.sim.push("refund", rig.sim.refund(oid, "apply"))
        await rig.desk.drain()
        (alert,) = [a for a in rig.of(AlertRaised) if a.kind is AlertKind.ATTENTION]
        assert alert.reason is AttentionReason.CUSTOMER_REFUND_REQUESTED
        assert alert.message == "美团 #1 顾客申请退款，请在平台处理"
        detail = await rig.core.service.order_detail(order_id)
        (asked,) = [e for e in detail.events if e.kind == "source_cancel_requested"]
        assert asked.data == {"code": "refund", "label": "美团 #1"}
        assert detail.order.state is OrderState.NEW  # the shop decides on the platform


async def test_an_order_with_no_rider_record_waits_from_when_the_check_first_sees_it(tmp_path):
    async with desk_rig(tmp_path, meituan={"platform_stall_min": 10}) as rig:
        desk = rig.desk
        paid = int(rig.sim.clock.now().timestamp()) - 1800
        oid, order_id = await rig.push_new(logistics_code=PLATFORM, ctime=paid)
        so = t.source_orders
        with desk.store.engine.begin() as c:  # as an order stored by an earlier build
            doc = c.execute(select(so.c.doc).where(so.c.source_order_id == oid)).scalar_one()
            doc.pop("platform_rider")
            c.execute(update(so).where(so.c.source_order_id == oid).values(doc=doc))
        assert await desk.store.platform_rider("meituan", oid) is None
        assert await desk.check_stalls() == []  # not stalled at once after 30 min
        status, since = await desk.store.platform_rider("meituan", oid)
        assert status is None and since > rig.sim.clock.now() - timedelta(minutes=1)
        assert not desk.is_stalled(order_id)
