"""The paged board against a real core and database: the first page and the lane counts
come from SQL, ``fetchMore`` brings older pages without gaps or duplicates while orders
arrive, a search reaches orders older than ``ui.board_days``, and an order changing lane
moves between the lane views and the counts without a reload."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest

from app.core.board import Lane
from app.core.domain import OrderState
from app.ui.board.controller import BoardController
from app.ui.board.model import BoardModel
from app.ui.board.view import BoardView
from tests.helpers import sample_order, started_core

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]
_n = itertools.count(1)


def _add(db, at, **kw) -> int:
    n = next(_n)
    (res,) = db.insert_orders([(sample_order(f"PG{n:06d}", **kw), f"h{n}", "pos")], at)
    return res.order.id


def _next_load(controller) -> asyncio.Future:
    """Resolves when the controller has put its next query's first page in the model."""
    done = asyncio.get_running_loop().create_future()
    controller.loaded.connect(lambda _n: done.done() or done.set_result(None))
    return done


def _board(core, qtbot, page_size: int = 50):
    model = BoardModel(now=core.service.clock.now)
    controller = BoardController(core.service, None, model, page_size=page_size)
    view = BoardView(model)
    qtbot.addWidget(view, before_close_func=lambda _w: controller.stop())
    return model, controller, view


async def test_fetch_more_pages_without_gaps_or_duplicates_while_orders_arrive(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        db, now = core.service.db, core.service.clock.now()
        old = [_add(db, now - timedelta(minutes=130 - i // 2)) for i in range(130)]
        model, controller, _view = _board(core, qtbot)
        assert await controller.load() == 50
        assert model.canFetchMore() and model.lane_counts()[Lane.NEW] == 130
        arrived = []
        while model.canFetchMore():
            oid = _add(db, core.service.clock.now() + timedelta(seconds=len(arrived)))
            arrived.append(oid)
            controller.touch(oid, new=True)
            await controller.flush()
            await controller.fetch_more()
        ids = model.order_ids()
        assert len(ids) == len(set(ids)) == 130 + len(arrived)
        assert set(ids) == set(old) | set(arrived)
        assert ids[: len(arrived)] == arrived[::-1]  # arrivals on top, newest first
        assert model.lane_counts()[Lane.NEW] == 130 + len(arrived)
        assert len(arrived) == 2  # 130 rows: pages of 50, 50, 30


async def test_scrolling_to_the_end_asks_qt_fetch_more(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        db, now = core.service.db, core.service.clock.now()
        for i in range(120):
            _add(db, now - timedelta(seconds=i))
        model, controller, view = _board(core, qtbot, page_size=40)
        view.resize(900, 400)
        view.show()
        await controller.load()
        assert view.proxy.rowCount() == 40
        for expected in (80, 120):
            grown = asyncio.get_running_loop().create_future()
            model.rowsInserted.connect(lambda *_a, f=grown: f.done() or f.set_result(None))
            view.table.scrollToBottom()  # the view calls fetchMore on the proxy -> the model
            await grown
            assert model.rowCount() == expected and not model.fetching
        assert not model.canFetchMore()
        assert len(set(model.order_ids())) == 120


async def test_lane_counts_come_from_sql(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        db, now = core.service.db, core.service.clock.now()
        for state, n in ((OrderState.NEW, 4), (OrderState.CANCELLED, 2), (OrderState.DELIVERED, 3),
                         (OrderState.ATTENTION, 1)):  # fmt: skip
            for _ in range(n):
                oid = _add(db, now)
                if state is not OrderState.NEW:
                    db.set_order_state(oid, state, now)
        _add(db, now - timedelta(days=5))  # outside ui.board_days
        model, controller, view = _board(core, qtbot, page_size=3)
        await controller.load()
        assert model.rowCount() == 3  # one page, but every order in the window counted
        assert model.lane_counts() == {
            Lane.NEW: 4, Lane.AWAITING: 0, Lane.DELIVERING: 0, Lane.ATTENTION: 1,
            Lane.DONE: 3, Lane.CANCELLED: 2,
        }  # fmt: skip
        assert model.total() == 10 and view.tabs.tabText(0).endswith("10")


async def test_search_finds_an_order_older_than_the_board_window(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        db, now = core.service.db, core.service.clock.now()
        old = _add(db, now - timedelta(days=30), note="老主顾 不要葱")
        for _ in range(5):
            _add(db, now)
        model, controller, view = _board(core, qtbot)
        await controller.load()
        assert old not in model.order_ids() and model.total() == 5
        view.search.setText("不要葱")
        assert view.proxy.rowCount() == 0  # the loaded rows: not there yet
        loaded = _next_load(controller)
        view.apply_search()  # what the pause after typing (or Enter) does
        await loaded  # the query the model asked the controller for
        assert model.order_ids() == [old]
        assert model.lane_counts()[Lane.NEW] == 1 and view.proxy.rowCount() == 1


async def test_order_changing_lane_moves_between_lane_views_and_counts(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        db, now = core.service.db, core.service.clock.now()
        ids = [_add(db, now - timedelta(seconds=i)) for i in range(6)]
        model, controller, view = _board(core, qtbot)
        loaded = _next_load(controller)
        view.set_lane(Lane.NEW)
        await loaded
        assert model.order_ids() == ids and model.lane_counts()[Lane.NEW] == 6
        resets = []
        model.modelReset.connect(lambda: resets.append(1))
        db.set_order_state(ids[2], OrderState.CANCELLED, now)
        controller.touch(ids[2])
        await controller.flush()
        assert ids[2] not in model.order_ids() and not resets  # removed, not reloaded
        counts = model.lane_counts()
        assert counts[Lane.NEW] == 5 and counts[Lane.CANCELLED] == 1
        loaded = _next_load(controller)
        view.set_lane(Lane.CANCELLED)
        await loaded
        assert model.order_ids() == [ids[2]]
        db.set_order_state(ids[2], OrderState.NEW, now)  # back: leaves the cancelled view
        controller.touch(ids[2])
        await controller.flush()
        assert model.order_ids() == [] and model.lane_counts()[Lane.NEW] == 6
        loaded = _next_load(controller)
        view.set_lane(None)
        await loaded
        assert model.order_ids() == ids
