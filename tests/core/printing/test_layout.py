"""Layout: column budgets (hanzi = 2), right-aligned prices, templates as data."""

from __future__ import annotations

import json

import pytest

from app.core.printing import layout, templates
from app.core.printing.layout import QR, Cut, Text, text_width
from tests.fakes.printer import ticket

TEMPLATES = ("standard", "compact", "label")


def test_text_width_counts_hanzi_as_two():
    assert text_width("abc") == 3
    assert text_width("宫保鸡丁") == 8
    assert text_width("￥12.00，") == 2 + 5 + 2  # full-width yen and comma are W/F


def test_wrap_respects_columns():
    lines = layout.wrap("少辣，不要香菜，多放点米饭 and some latin words", 10)
    assert all(text_width(ln) <= 10 for ln in lines)
    assert "".join(lines).replace(" ", "") == "少辣，不要香菜，多放点米饭andsomelatinwords"


@pytest.mark.parametrize("width", [58, 80])
@pytest.mark.parametrize("name", TEMPLATES)
def test_lines_fit_the_paper(width, name):
    ops = layout.build(ticket(), templates.load(name), width)
    cols = layout.COLUMNS[width]
    assert cols == {58: 32, 80: 48}[width]
    for op in ops:
        if isinstance(op, Text):
            assert text_width(op.text) * op.size <= cols, op
    assert isinstance(ops[-1], Cut)


@pytest.mark.parametrize("width", [58, 80])
def test_prices_right_aligned(width):
    ops = layout.build(ticket(), templates.load("standard"), width)
    cols = layout.COLUMNS[width]
    money_lines = [
        o.text
        for o in ops
        if isinstance(o, Text) and o.text.endswith(tuple("0123456789")) and "￥" in o.text
    ]
    assert len(money_lines) >= 6  # 4 items + delivery fee + total
    for line in money_lines:
        assert text_width(line) == cols, line  # flush with the right edge
    item_lines = [ln for ln in money_lines if " x" in ln]
    # quantity column lines up too
    ends = {text_width(ln[: ln.index(" x") + 2]) for ln in item_lines}
    assert len(ends) <= 2  # x1 vs x12 shift the 'x' by one column at most
    assert any(ln.rstrip().endswith("￥128.00") for ln in item_lines)
    assert any("￥42.00" in ln for ln in item_lines)  # 12 x 3.50


def test_ticket_fields_present():
    ops = layout.build(ticket(), templates.load("standard"), 80)
    texts = [o for o in ops if isinstance(o, Text)]
    joined = "\n".join(o.text for o in texts)
    pickup = next(o for o in texts if o.text == "#A12")
    assert pickup.size == 3 and pickup.align == "center"
    assert all(o.bold for o in texts if o.text.startswith("备注") or "香菜" in o.text)
    for needle in (
        "美团外卖",
        "11-24 12:00",
        "张三 138****5678",
        "来福士",
        "配送：达达",
        "DD202611240001",
    ):
        assert needle in joined
    qr = next(o for o in ops if isinstance(o, QR))
    assert qr.data == "https://t.example.com/track/DD202611240001"


def test_label_is_different_from_ticket():
    ops = layout.build(ticket(), templates.load("label"), 58)
    joined = "\n".join(o.text for o in ops if isinstance(o, Text))
    assert "品名" not in joined and "共16件" in joined
    assert any(isinstance(o, Text) and o.text == "#A12" and o.size == 4 for o in ops)


def test_templates_are_data(tmp_path):
    (tmp_path / "tiny.json").write_text(
        json.dumps(
            {"name": "tiny", "sections": [{"field": "pickup", "size": 2}, "qr"], "cut": False}
        ),
        encoding="utf-8",
    )
    t = templates.load("tiny", (tmp_path,))
    ops = layout.build(ticket(), t, 58)
    assert [type(o).__name__ for o in ops] == ["Text", "QR", "Text", "Feed"]
    assert set(templates.available()) >= set(TEMPLATES)


@pytest.mark.parametrize(
    "bad",
    [{"sections": []}, {"sections": ["nope"]}, {"sections": [{"field": "pickup", "size": 9}]}],
)
def test_bad_templates_are_refused(tmp_path, bad):
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(templates.TemplateError):
        templates.load("bad", (tmp_path,))
    with pytest.raises(templates.TemplateError):
        templates.load("../etc/passwd")


def test_no_line_starts_with_a_comma():
    lines = layout.wrap(
        "少辣，不要香菜，多放点米饭，谢谢！门口放下即可，打电话给我：13812345678", 14
    )
    assert all(text_width(ln) <= 14 for ln in lines)
    assert not any(ln[0] in "，！：" for ln in lines), lines


def test_layout_builds_exactly_the_fields_templates_accept():
    # templates.FIELDS is declared, not imported from layout (no import cycle): keep in step
    built = set(layout._SIMPLE) | set(layout._BUILDERS) | {"rule", "feed"}
    assert built == set(templates.FIELDS)
