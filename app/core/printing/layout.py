"""Ticket layout: pure functions from a ticket snapshot and a template to print ops.

The same ops feed the ESC/POS encoder (``escpos.py``) and the Pillow renderer
(``render.py``), so the preview is the ticket. Columns are counted the way a thermal
printer counts them: a hanzi (East Asian width W/F) takes two columns, and a line printed
at size ``n`` (``GS ! n``) takes ``n`` times its width. 58 mm paper has 32 columns, 80 mm 48.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.money import yuan_str
from app.core.printing.templates import Section, Template

COLUMNS = {58: 32, 80: 48}
NO_LINE_START = frozenset("，。、；：！？）》」』】,.;:!?)")


# ---------------------------------------------------------------------------- ops
@dataclass(frozen=True, slots=True)
class Text:
    """One printed line (no newline inside); ``size`` multiplies width and height."""

    text: str
    size: int = 1
    bold: bool = False
    align: str = "left"  # left | center | right


@dataclass(frozen=True, slots=True)
class QR:
    data: str
    size: int = 6  # dots per module, like GS ( k fn 0x43


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    pass


Op = Text | QR | Feed | Cut


# ---------------------------------------------------------------------------- data
@dataclass(frozen=True, slots=True)
class TicketItem:
    name: str
    qty: int
    price_fen: int  # unit price


@dataclass(frozen=True, slots=True)
class TicketData:
    """Everything a ticket shows, frozen when the job is queued (so a retry prints the
    same ticket). Built from an order by ``snapshot.ticket_data``."""

    order_id: int
    pos_order_id: str
    store_name: str = ""
    store_phone: str = ""
    pickup_no: str = ""
    channel: str = ""
    time: str = ""
    scheduled: str = ""
    items: tuple[TicketItem, ...] = ()
    total_fen: int = 0
    delivery_fee_fen: int = 0
    note: str = ""
    customer_name: str = ""
    customer_phone: str = ""  # already masked
    address: str = ""
    carrier: str = ""
    carrier_order_id: str = ""
    rider: str = ""  # name + masked phone
    qr_data: str = ""
    qr_is_tracking: bool = False
    mark: str = ""  # e.g. 补打 on a reprint
    printed_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- columns
def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Printer columns taken by ``text`` (hanzi and full-width forms count two)."""
    return sum(char_width(c) for c in text)


def wrap(text: str, cols: int) -> list[str]:
    """Break ``text`` into lines of at most ``cols`` columns (CJK has no spaces, so we
    break between any two characters)."""
    cols = max(cols, 2)
    lines: list[str] = []
    for para in text.replace("\r", "").split("\n"):
        cur, w = "", 0
        for ch in para:
            cw = char_width(ch)
            if w + cw > cols:
                head, tail = _split_word(cur, cols)
                if not tail and ch in NO_LINE_START and len(head) > 1:
                    head, tail = head[:-1], head[-1]  # keep "，" off the start of a line
                lines.append(head.rstrip())
                cur, w = tail, text_width(tail)
                if ch == " " and not cur:
                    continue
            cur += ch
            w += cw
        lines.append(cur.rstrip())
    return [ln for ln in lines if ln] or [""]


def _split_word(line: str, cols: int) -> tuple[str, str]:
    """Keep a Latin word or number (a phone, an order id) whole when it fits on the next
    line: break at the last space if what follows it is short."""
    cut = line.rfind(" ")
    if cut <= 0 or text_width(line[cut + 1 :]) > cols // 2:
        return line, ""
    return line[:cut], line[cut + 1 :]


def pad_right(text: str, cols: int) -> str:
    return text + " " * max(cols - text_width(text), 0)


def pad_left(text: str, cols: int) -> str:
    return " " * max(cols - text_width(text), 0) + text


def two_cols(left: str, right: str, cols: int) -> str:
    """``left`` … ``right`` on one line, ``right`` flush with the right edge."""
    return pad_right(left, cols - text_width(right)) + right


def money(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}￥{yuan_str(abs(fen))}"


# ---------------------------------------------------------------------------- fields
def _lines(text: str, sec: Section, cols: int, prefix: str = "") -> list[Op]:
    if not text:
        return []
    avail = cols // sec.size
    return [Text(ln, sec.size, sec.bold, sec.align) for ln in wrap(prefix + text, avail) if ln]


def _items(d: TicketData, sec: Section, cols: int) -> list[Op]:
    """Name on the left (wrapped), quantity and line amount right-aligned columns."""
    qty_w, amt_w = 4, 10 if cols > 32 else 9
    name_w = cols - qty_w - amt_w
    out: list[Op] = [
        Text(pad_right("品名", name_w) + pad_left("数量", qty_w) + pad_left("金额", amt_w))
    ]
    for it in d.items:
        names = wrap(it.name, name_w - 1)
        for extra in names[:-1]:
            out.append(Text(extra, 1, sec.bold))
        tail = pad_left(f"x{it.qty}", qty_w) + pad_left(money(it.qty * it.price_fen), amt_w)
        out.append(Text(pad_right(names[-1], name_w) + tail, 1, sec.bold))
    return out


def _totals(d: TicketData, sec: Section, cols: int) -> list[Op]:
    out: list[Op] = []
    if d.delivery_fee_fen:
        out.append(Text(two_cols("配送费", money(d.delivery_fee_fen), cols)))
    avail = cols // sec.size
    out.append(Text(two_cols("合计", money(d.total_fen), avail), sec.size, True))
    return out


def _channel_time(d: TicketData, sec: Section, cols: int) -> list[Op]:
    line = two_cols(d.channel, d.time, cols // sec.size)
    out: list[Op] = [Text(line, sec.size, sec.bold)]
    if d.scheduled:
        out.append(Text(f"预约送达：{d.scheduled}", sec.size, True))
    return out


def _customer(d: TicketData, sec: Section, cols: int) -> list[Op]:
    text = " ".join(x for x in (d.customer_name, d.customer_phone) if x)
    return _lines(text, sec, cols, "顾客：")


def _carrier(d: TicketData, sec: Section, cols: int) -> list[Op]:
    out = _lines(d.carrier or "待派单", sec, cols, "配送：")
    return out + _lines(d.carrier_order_id, sec, cols, "运单号：")


def _qr(d: TicketData, sec: Section, cols: int) -> list[Op]:
    if not d.qr_data:
        return []
    caption = "扫码查看配送进度" if d.qr_is_tracking else "订单号二维码"
    size = sec.size if sec.size > 1 else 6
    return [QR(d.qr_data, min(size, 8 if cols > 32 else 6)), Text(caption, 1, False, "center")]


def _item_count(d: TicketData, sec: Section, cols: int) -> list[Op]:
    n = sum(it.qty for it in d.items)
    return _lines(f"共{n}件  {money(d.total_fen)}", sec, cols)


_SIMPLE: dict[str, Callable[[TicketData], str]] = {
    "store": lambda d: d.store_name,
    "mark": lambda d: f"【{d.mark}】" if d.mark else "",
    "pickup": lambda d: f"#{d.pickup_no}" if d.pickup_no else "",
    "order_no": lambda d: f"订单号：{d.pos_order_id}",
    "note": lambda d: f"备注：{d.note}" if d.note else "",
    "address": lambda d: f"地址：{d.address}" if d.address else "",
    "rider": lambda d: f"骑手：{d.rider}" if d.rider else "",
    "footer": lambda d: f"打印时间 {d.printed_at}" if d.printed_at else "",
    "store_phone": lambda d: f"门店电话 {d.store_phone}" if d.store_phone else "",
}

_BUILDERS: dict[str, Callable[[TicketData, Section, int], list[Op]]] = {
    "items": _items,
    "totals": _totals,
    "channel_time": _channel_time,
    "customer": _customer,
    "carrier": _carrier,
    "qr": _qr,
    "item_count": _item_count,
}


def _section(d: TicketData, sec: Section, cols: int) -> list[Op]:
    if sec.field == "rule":
        return [Text((sec.char or "-") * cols)]
    if sec.field == "feed":
        return [Feed(max(sec.size, 1))]
    if sec.field in _BUILDERS:
        return _BUILDERS[sec.field](d, sec, cols)
    return _lines(_SIMPLE[sec.field](d), sec, cols)


def build(d: TicketData, template: Template, width_mm: int) -> list[Op]:
    """The ops for one copy of one ticket on ``width_mm`` paper."""
    cols = COLUMNS[width_mm]
    ops: list[Op] = []
    for sec in template.sections:
        ops.extend(_section(d, sec, cols))
    if template.feed:
        ops.append(Feed(template.feed))
    if template.cut:
        ops.append(Cut())
    return ops
