"""Write the reconciliation workbook (Attempts / Carriers / Days) as xlsx or CSV.

Rows arrive as an iterator of ``AttemptRecord`` and are written one by one: XlsxWriter
runs with ``constant_memory=True`` (rows flushed to disk as they are written), CSV is
written line by line, and only the flat-memory ``Aggregator`` is kept. Money is fen
inside and becomes a yuan number with a ``0.00`` format (CSV: a ``12.35`` string) only
here. Phones are masked; free text has any mobile number in it masked too. Synchronous:
run it in a worker thread.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from app.core.carriers.registry import CARRIER_IDS, SELF_DELIVERY, display_name
from app.core.clock import LOCAL_TZ
from app.core.money import yuan_str
from app.core.privacy import mask_phone, mask_phones_in
from app.core.reconciliation.summary import (
    MATCH_LABELS,
    MATCH_NONE,
    MATCH_OK,
    MATCH_VARIANCE,
    Aggregator,
    Summary,
    SummaryRow,
    record_net_cost,
)
from app.core.sources.registry import all_rules
from app.core.storage.recon_repo import AttemptRecord

ProgressFn = Callable[[int, int], None]
PROGRESS_EVERY = 1000


class ExportCancelled(Exception):
    """The user cancelled; the partial file has been removed."""


@dataclass(frozen=True, slots=True)
class Col:
    key: str
    zh: str
    en: str
    kind: str  # text | int | money | date | datetime | minutes | percent
    width: float = 12


ATTEMPT_COLS: tuple[Col, ...] = (
    Col("business_date", "营业日", "Business date", "date", 11),
    Col("store", "门店", "Store", "text", 22),
    Col("pos_order_id", "POS单号", "POS order no.", "text", 16),
    Col("channel", "渠道", "Channel", "text", 9),
    Col("source", "来源", "Source", "text", 10),
    Col("source_order_id", "来源单号", "Source order id", "text", 20),
    Col("attempt_no", "第几次呼叫", "Attempt no.", "int", 8),
    Col("carrier", "配送平台", "Carrier", "text", 10),
    Col("carrier_order_id", "平台运单号", "Carrier order id", "text", 20),
    Col("origin_id", "我方单号", "Origin id", "text", 20),
    Col("status", "最终状态", "Final status", "text", 10),
    Col("cancelled_by", "取消方", "Cancelled by", "text", 9),
    Col("cancel_reason", "取消原因", "Cancel reason", "text", 20),
    Col("customer_phone", "顾客电话", "Customer phone", "text", 13),
    Col("rider_phone", "骑手电话", "Rider phone", "text", 13),
    Col("created_at", "创建时间", "Created", "datetime", 19),
    Col("dispatched_at", "呼叫时间", "Dispatched", "datetime", 19),
    Col("accepted_at", "接单时间", "Accepted", "datetime", 19),
    Col("picked_up_at", "取货时间", "Picked up", "datetime", 19),
    Col("finished_at", "送达/取消时间", "Delivered / cancelled", "datetime", 19),
    Col("distance_m", "距离(米)", "Distance (m)", "int", 9),
    Col("quoted_fee", "预估运费(元)", "Quoted fee", "money", 11),
    Col("actual_fee", "实际运费(元)", "Actual fee", "money", 11),
    Col("tip", "小费(元)", "Tip", "money", 9),
    Col("insurance", "保价费(元)", "Insurance", "money", 9),
    Col("cancel_fee", "取消违约金(元)", "Cancel fee", "money", 11),
    Col("refund", "退款(元)", "Refund", "money", 9),
    Col("net_cost", "净配送成本(元)", "Net carrier cost", "money", 12),
    Col("customer_fee", "顾客付配送费(元)", "Delivery fee paid", "money", 12),
    Col("margin", "配送毛利(元)", "Margin", "money", 11),
    Col("bill_amount", "账单金额(元)", "Bill amount", "money", 11),
    Col("variance", "差异(元)", "Variance", "money", 10),
    Col("match", "对账状态", "Match status", "text", 9),
)

SUMMARY_COLS: tuple[Col, ...] = (
    Col("key", "", "", "text", 14),  # header set per sheet (配送平台 / 营业日)
    Col("orders", "订单数", "Orders", "int", 8),
    Col("attempts", "呼叫次数", "Attempts", "int", 8),
    Col("delivered", "已送达", "Delivered", "int", 8),
    Col("cancels", "取消数", "Cancels", "int", 8),
    Col("cancel_rate", "取消率", "Cancel rate", "percent", 8),
    Col("cancel_fee", "取消违约金(元)", "Cancel fees", "money", 12),
    Col("tips", "小费(元)", "Tips", "money", 10),
    Col("net_cost", "净配送成本(元)", "Net cost", "money", 12),
    Col("accept_mean", "平均接单(分钟)", "Mean min to accept", "minutes", 12),
    Col("accept_p90", "P90接单(分钟)", "P90 min to accept", "minutes", 12),
    Col("deliver_mean", "平均送达(分钟)", "Mean min to deliver", "minutes", 12),
    Col("deliver_p90", "P90送达(分钟)", "P90 min to deliver", "minutes", 12),
    Col("failovers", "转单次数", "Failovers", "int", 8),
)

STATUS_ZH = {
    "quoted": "已询价",
    "submitting": "提交中",
    "create_failed": "下单失败",
    "pending_accept": "待接单",
    "accepted": "已接单",
    "at_pickup": "到店",
    "picked_up": "已取货",
    "at_dropoff": "到达",
    "delivered": "已送达",
    "cancel_requested": "取消中",
    "cancelled": "已取消",
    "returning": "返回中",
    "returned": "已退回",
    "unknown": "未知",
}
CANCELLED_BY_ZH = {
    "merchant": "商家",
    "customer": "顾客",
    "rider": "骑手",
    "carrier_system": "平台",
    "unknown": "未知",
}
SHEETS = {"attempts": ("配送记录", "Attempts"), "carriers": ("平台汇总", "Carriers"),
          "days": ("每日汇总", "Days")}  # fmt: skip


_LABELS: dict[tuple[str, str], str] = {}

# where an order came from (orders.source); platform sources are named by their rules
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "pos": ("POS", "POS"),
    "manual": ("手工录入", "Manual"),
    "simulated": ("模拟", "Simulated"),
    **{sid: (r.name_zh, r.name_en) for sid, r in all_rules().items()},
}


def source_label(source: str, lang: str = "zh") -> str:
    names = SOURCE_LABELS.get(source or "pos")
    return source if names is None else names[0 if lang == "zh" else 1]


def source_order_id(r: AttemptRecord) -> str:
    """The platform's order id: the linked source order's, else the ``<source>:<id>``
    board id a platform order is stored under; POS orders have none."""
    if r.linked_source_order_id:
        return r.linked_source_order_id
    src = r.order_source or "pos"
    if src not in ("pos", "manual", "simulated") and r.pos_order_id.startswith(src + ":"):
        return r.pos_order_id[len(src) + 1 :]
    return ""


def _label(carrier: str, lang: str) -> str:
    """``carrier_label`` memoised: an export asks it once per row (100,000 times)."""
    key = (carrier, lang)
    if (v := _LABELS.get(key)) is None:
        v = _LABELS[key] = carrier_label(carrier, lang)
    return v


def carrier_label(carrier: str, lang: str = "zh") -> str:
    if carrier in CARRIER_IDS or carrier == SELF_DELIVERY:
        try:
            return display_name(carrier, lang)
        except Exception:  # a carrier package still being written must not break exports
            return carrier
    return carrier


def _when(d: dt.datetime | None) -> dt.datetime | None:
    return None if d is None else d.astimezone(LOCAL_TZ).replace(tzinfo=None)  # = local()


_MEMO_MAX = 4096  # distinct phones / dates remembered per export before starting over


class _Memo:
    """Per-export caches of pure per-value work: the same rider phones, carriers and
    business dates come back on thousands of rows, and masking a phone (two regexes)
    or parsing a date costs more than a dict lookup. Bounded, so memory stays flat."""

    def __init__(self, lang: str) -> None:
        self.zh = lang == "zh"
        self.lang = lang
        self.phones: dict[str, str] = {}
        self.dates: dict[str, dt.date] = {}

    def phone(self, p: str) -> str:
        if (v := self.phones.get(p)) is None:
            if len(self.phones) >= _MEMO_MAX:
                self.phones.clear()
            v = self.phones[p] = mask_phone(p)
        return v

    def date(self, iso: str) -> dt.date:
        if (v := self.dates.get(iso)) is None:
            if len(self.dates) >= _MEMO_MAX:
                self.dates.clear()
            v = self.dates[iso] = dt.date.fromisoformat(iso)
        return v


def attempt_values(r: AttemptRecord, store: str, lang: str, agg: Aggregator,
                   memo: _Memo | None = None) -> list[Any]:  # fmt: skip
    """One Attempts row as typed values (money in fen, local naive datetimes)."""
    m = memo or _Memo(lang)
    net = record_net_cost(r)
    agg.add(r, net)
    fee = r.order_delivery_fee_fen if r.is_last else 0
    bill = r.bill_amount_fen
    var = None if bill is None else bill - net
    match = MATCH_NONE if var is None else MATCH_OK if var == 0 else MATCH_VARIANCE
    zh = m.zh
    return [
        m.date(r.business_date), store, r.pos_order_id, r.channel,
        source_label(r.order_source, lang), source_order_id(r), r.attempt_no, _label(r.carrier, lang), r.carrier_order_id, r.idempotency_key,
        STATUS_ZH.get(r.status, r.status) if zh else r.status,
        (CANCELLED_BY_ZH.get(r.cancelled_by, r.cancelled_by) if zh else r.cancelled_by)
        if r.cancelled_by else "",
        mask_phones_in(r.cancel_reason) if r.cancel_reason else "",
        m.phone(r.customer_phone) if r.customer_phone else "",
        m.phone(r.rider_phone) if r.rider_phone else "",
        _when(r.created_at), _when(r.dispatched_at), _when(r.accepted_at),
        _when(r.picked_up_at), _when(r.finished_at), r.distance_m, r.quoted_fee_fen,
        r.actual_fee_fen, r.tip_fen, r.insurance_fee_fen, r.cancel_fee_fen, r.refund_fen,
        net, fee, fee - net, bill, var, MATCH_LABELS[match][0 if zh else 1],
    ]  # fmt: skip


def summary_values(s: SummaryRow, key: str) -> list[Any]:
    return [
        key, s.orders, s.attempts, s.delivered, s.cancels, s.cancel_rate, s.cancel_fee_fen,
        s.tip_fen, s.net_cost_fen, s.accept_mean_min, s.accept_p90_min, s.deliver_mean_min,
        s.deliver_p90_min, s.failovers,
    ]  # fmt: skip


def header(c: Col, lang: str) -> str:
    return c.zh if lang == "zh" else c.en


def as_predicate(cancel: Any) -> Callable[[], bool]:
    """None, a ``threading.Event`` or a callable -> a callable answering "cancelled?"."""
    if cancel is None:
        return lambda: False
    pred: Callable[[], bool] = cancel.is_set if hasattr(cancel, "is_set") else cancel
    return pred


class _Ticker:
    """Progress and cancel checks every ``PROGRESS_EVERY`` rows."""

    def __init__(self, total: int, progress: ProgressFn | None, cancel: Any) -> None:
        self.total, self.progress, self.done = total, progress, 0
        self.cancelled: Callable[[], bool] = as_predicate(cancel)

    def step(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self.check()

    def check(self) -> None:
        if self.cancelled():
            raise ExportCancelled
        if self.progress is not None:
            self.progress(self.done, self.total)


# --------------------------------------------------------------------------- xlsx
_EPOCH = dt.datetime(1899, 12, 31)  # Excel's 1900 date system


def excel_serial(v: dt.date) -> float:
    """A naive local date/datetime as Excel's serial number, the same float XlsxWriter's
    ``write_datetime`` stores (its generic conversion — type and time-zone checks for
    every cell — was a tenth of the export's time at 100,000 rows x 6 dates)."""
    d = v if isinstance(v, dt.datetime) else dt.datetime.fromordinal(v.toordinal())
    delta = d - _EPOCH
    x = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return x + 1 if x > 59 else x  # Excel's phantom 1900-02-29


class _XlsxSheet:
    def __init__(self, wb: xlsxwriter.Workbook, name: str, cols: Iterable[Col], lang: str,
                 first: str | None = None) -> None:  # fmt: skip
        self.ws = wb.add_worksheet(name)
        self.cols = tuple(cols)
        self.row = 0
        hdr = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        f = {
            "money": wb.add_format({"num_format": "0.00"}),
            "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "minutes": wb.add_format({"num_format": "0.0"}),
            "percent": wb.add_format({"num_format": "0.0%"}),
            "int": wb.add_format({"num_format": "0"}),
        }
        # per column: (index, XlsxWriter method, format, kind flags), so a cell costs one
        # call into XlsxWriter and no extra Python frame (100,000 rows x 31 cells)
        self.plan = [(i, self._method(c.kind), c.kind == "money", c.kind == "text",
                      c.kind in ("date", "datetime"), f.get(c.kind))
                     for i, c in enumerate(self.cols)]  # fmt: skip
        for i, c in enumerate(self.cols):
            self.ws.set_column(i, i, c.width)
            self.ws.write_string(0, i, first if (i == 0 and first) else header(c, lang), hdr)
        self.ws.freeze_panes(1, 0)
        self.row = 1

    def _method(self, kind: str) -> Callable[..., Any]:
        m: Callable[..., Any] = self.ws.write_string if kind == "text" else self.ws.write_number
        return m  # dates too: they are written as serial numbers with a date format

    def write(self, values: list[Any]) -> None:
        r = self.row
        if len(values) != len(self.plan):
            raise ValueError(f"{len(values)} values for {len(self.plan)} columns")
        for (c, write, money, text, date, fmt), v in zip(self.plan, values):  # noqa: B905
            if v is None or (text and not v):  # empty text: no cell, as before
                continue
            write(r, c, excel_serial(v) if date else v / 100 if money else v, fmt)
        self.row += 1

    def finish(self) -> None:
        self.ws.autofilter(0, 0, max(self.row - 1, 0), len(self.cols) - 1)


StoreName = str | Callable[[AttemptRecord], str]  # one store, or each row's (head office)


def _store_of(store: StoreName) -> Callable[[AttemptRecord], str]:
    return store if callable(store) else (lambda _r: store)


def write_xlsx(path: Path, records: Iterator[AttemptRecord], total: int, *, store: StoreName,
               lang: str = "zh", progress: ProgressFn | None = None,
               cancel: Any = None) -> tuple[int, Summary]:  # fmt: skip
    """Stream the three sheets to ``path``; returns (attempt rows, summary)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    i = 0 if lang == "zh" else 1
    try:
        att = _XlsxSheet(wb, SHEETS["attempts"][i], ATTEMPT_COLS, lang)
        car = _XlsxSheet(wb, SHEETS["carriers"][i], SUMMARY_COLS, lang, ("配送平台", "Carrier")[i])
        day = _XlsxSheet(wb, SHEETS["days"][i], SUMMARY_COLS, lang, ("营业日", "Business date")[i])
        agg, tick = Aggregator(day_carrier=False), _Ticker(total, progress, cancel)
        memo, name = _Memo(lang), _store_of(store)
        for r in records:
            att.write(attempt_values(r, name(r), lang, agg, memo))
            tick.step()
        tick.check()
        summary = agg.result()
        _write_summaries(car, day, summary, lang)
        for s in (att, car, day):
            s.finish()
    except BaseException:
        wb.close()
        path.unlink(missing_ok=True)
        raise
    wb.close()
    return tick.done, summary


def _write_summaries(car: Any, day: Any, summary: Summary, lang: str) -> None:
    total_label = "合计" if lang == "zh" else "Total"
    for s in summary.carriers:
        car.write(summary_values(s, carrier_label(s.key, lang)))
    car.write(summary_values(summary.total, total_label))
    for s in summary.days:
        day.write(summary_values(s, s.key))
    day.write(summary_values(summary.total, total_label))


# --------------------------------------------------------------------------- csv
def _csv_cell(kind: str, v: Any) -> str:
    if v is None:
        return ""
    if kind == "money":
        return yuan_str(v)
    if kind == "datetime":
        return str(v.strftime("%Y-%m-%d %H:%M:%S"))
    if kind == "date":
        return str(v.isoformat())
    if kind == "minutes":
        return f"{v:.1f}"
    if kind == "percent":
        return f"{v * 100:.1f}%"
    return csv_text(str(v)) if kind == "text" else str(v)


def csv_text(s: str) -> str:
    """Neutralise spreadsheet formulas in CSV text (a carrier's cancel reason or a bill
    id starting with ``=`` must not run in Excel)."""
    return "'" + s if s[:1] in ("=", "+", "-", "@") else s


class _CsvSheet:
    def __init__(self, path: Path, cols: Iterable[Col], lang: str, first: str | None = None):
        self.fh = path.open("w", encoding="utf-8-sig", newline="")  # BOM: Excel reads UTF-8
        self.out = csv.writer(self.fh)
        self.cols = tuple(cols)
        self.kinds = [c.kind for c in self.cols]
        heads = [header(c, lang) for c in self.cols]
        if first:
            heads[0] = first
        self.out.writerow(heads)

    def write(self, values: list[Any]) -> None:
        self.out.writerow([_csv_cell(k, v) for k, v in zip(self.kinds, values, strict=True)])

    def finish(self) -> None:
        self.fh.close()


def csv_paths(path: Path) -> tuple[Path, Path, Path]:
    """Attempts go to ``path``; the two summaries to ``<stem>_carriers/_days.csv``."""
    return (
        path,
        path.with_name(f"{path.stem}_carriers.csv"),
        path.with_name(f"{path.stem}_days.csv"),
    )


def write_csv(path: Path, records: Iterator[AttemptRecord], total: int, *, store: StoreName,
              lang: str = "zh", progress: ProgressFn | None = None,
              cancel: Any = None) -> tuple[int, Summary]:  # fmt: skip
    p_att, p_car, p_day = csv_paths(path)
    i = 0 if lang == "zh" else 1
    sheets: list[_CsvSheet] = []
    try:
        att = _CsvSheet(p_att, ATTEMPT_COLS, lang)
        sheets.append(att)
        agg, tick = Aggregator(day_carrier=False), _Ticker(total, progress, cancel)
        memo, name = _Memo(lang), _store_of(store)
        for r in records:
            att.write(attempt_values(r, name(r), lang, agg, memo))
            tick.step()
        tick.check()
        summary = agg.result()
        car = _CsvSheet(p_car, SUMMARY_COLS, lang, ("配送平台", "Carrier")[i])
        day = _CsvSheet(p_day, SUMMARY_COLS, lang, ("营业日", "Business date")[i])
        sheets += [car, day]
        _write_summaries(car, day, summary, lang)
    except BaseException:
        for s in sheets:
            s.finish()
        for p in (p_att, p_car, p_day):
            p.unlink(missing_ok=True)
        raise
    for s in sheets:
        s.finish()
    return tick.done, summary
