"""Phone orders go through the POS API's validation and the intake path."""

from __future__ import annotations

import pytest

from app.core.pos.schema import payload_hash
from app.ui.dialogs.manual_order import ManualOrderDialog, parse_items
from tests.helpers import started_core


def test_payload_hash_is_one_rule_for_every_intake_path():
    # phone, simulated and POS orders all hash in AppService.submit_order_payload
    p = {"b": 1, "a": ["宫保鸡丁", 2.5]}
    assert payload_hash(p) == payload_hash({"a": ["宫保鸡丁", 2.5], "b": 1})
    assert payload_hash(p) != payload_hash({"b": 2, "a": ["宫保鸡丁", 2.5]})


def test_parse_items():
    assert parse_items("宫保鸡丁 1 38\n米饭 2 2\n\n") == [
        {"name": "宫保鸡丁", "qty": 1, "price_fen": 3800},
        {"name": "米饭", "qty": 2, "price_fen": 200},
    ]


@pytest.mark.gui
@pytest.mark.asyncio
async def test_invalid_then_valid_phone_order(qtbot, tmp_path):
    async with started_core(tmp_path) as core:
        svc = core.service
        dlg = ManualOrderDialog(svc, 1)
        qtbot.addWidget(dlg)
        dlg.fields["customer.name"].setText("李四")
        dlg.fields["customer.address"].setText("上海市黄浦区福州路100号")
        dlg.fields["items"].setPlainText("宫保鸡丁 1 38")
        assert not await dlg.submit()  # phone missing
        assert "phone" in dlg.error.text()
        dlg.fields["customer.phone"].setText("13912345678")
        assert await dlg.submit()
        order = dlg.result_order
        assert order.channel.value == "phone" and order.total_fen == 3800
        rows = await svc.board()
        assert any(r.order.id == order.id for r in rows)
