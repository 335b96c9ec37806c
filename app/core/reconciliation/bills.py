"""Carrier bill statements (CSV / XLSX) read through an editable column mapping.

Each mapping field names the statement column; several candidate names may be given
separated by ``|`` (first present wins). The defaults below are educated guesses at each
carrier's merchant-backend export; the manager edits them in settings and they are
stored under ``kv["bill_mapping.<carrier>"]``. Amounts are converted to fen with
``app.core.money`` (``unit`` = "yuan" or "fen"). Pure apart from reading the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from app.core.carriers.registry import CARRIERS
from app.core.money import to_decimal, yuan_to_fen
from app.core.reconciliation.matching import BillRow


class BillFormatError(ValueError):
    """The statement cannot be read with this mapping (message says where)."""


@dataclass(frozen=True, slots=True)
class BillMapping:
    carrier_order_id: str  # column with the carrier's waybill / order id
    origin_id: str  # column with OUR order id as sent to the carrier (idempotency key)
    amount: str  # column with what the carrier charged for the line
    unit: str = "yuan"  # "yuan" | "fen"
    date: str = ""  # optional column with the line's date
    header_row: int = 1  # 1-based row holding the headers (statements often have a title)
    sheet: str = ""  # XLSX sheet name; empty = the first sheet

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BillMapping:
        names = {f.name for f in fields(cls)}
        m = cls(**{k: v for k, v in d.items() if k in names})
        if m.unit not in ("yuan", "fen"):
            raise ValueError(f"unit must be yuan or fen, not {m.unit!r}")
        return m


# Each carrier's guessed statement columns live in its folder (``rules.BILL_COLUMNS``).
DEFAULT_MAPPINGS: dict[str, BillMapping] = {
    m.id: BillMapping(**asdict(m.bill_columns)) for m in CARRIERS
}
GENERIC = BillMapping("运单号", "商家订单号", "金额(元)", "yuan", "日期")


TOTAL_LABELS = {"合计", "总计", "小计", "total", "sum"}


def default_mapping(carrier: str) -> BillMapping:
    return DEFAULT_MAPPINGS.get(carrier, GENERIC)


def _norm(h: Any) -> str:
    return re.sub(r"\s+", "", str(h or "")).replace("（", "(").replace("）", ")").lower()


def _find(headers: list[str], spec: str, *, required: bool) -> int | None:
    normed = [_norm(h) for h in headers]
    for name in (s for s in spec.split("|") if s.strip()):
        if _norm(name) in normed:
            return normed.index(_norm(name))
    if required:
        raise BillFormatError(f"column {spec!r} not found in headers {headers}")
    return None


def parse_amount(value: Any, unit: str) -> int:
    """'¥1,234.50' yuan -> 123450 fen; '1234' fen -> 1234. Floats via repr (money.py)."""
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("¥", "").replace("￥", "").replace("元", "")
    if unit == "fen":
        d = to_decimal(value)
        if d != d.to_integral_value():
            raise ValueError(f"fractional fen {value!r}")
        return int(d)
    return yuan_to_fen(value)


def parse_date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    m = re.match(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", str(value or ""))
    return f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}" if m else ""


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # an id Excel turned into a number
    return str(v).strip()


def rows_from_table(table: list[list[Any]], mapping: BillMapping) -> list[BillRow]:
    """Turn a statement grid (list of rows) into bill rows; lines with neither id
    (blanks, notes) and totals lines (合计/总计) are skipped."""
    h = mapping.header_row - 1
    if len(table) <= h:
        raise BillFormatError("statement has no header row")
    headers = [_cell(x) for x in table[h]]
    i_cid = _find(headers, mapping.carrier_order_id, required=False)
    i_org = _find(headers, mapping.origin_id, required=False)
    if i_cid is None and i_org is None:
        raise BillFormatError(f"neither id column found in headers {headers}")
    i_amt = _find(headers, mapping.amount, required=True)
    i_date = _find(headers, mapping.date, required=False) if mapping.date else None
    out: list[BillRow] = []
    for n, row in enumerate(table[h + 1 :], start=1):

        def get(i: int | None, row: list[Any] = row) -> Any:
            return row[i] if i is not None and i < len(row) else None

        cid, org = _cell(get(i_cid)), _cell(get(i_org))
        if (not cid and not org) or _norm(cid or org) in TOTAL_LABELS:
            continue
        try:
            amount = parse_amount(get(i_amt), mapping.unit)
        except (ValueError, ArithmeticError, TypeError) as e:
            raise BillFormatError(f"line {n}: bad amount {get(i_amt)!r}") from e
        raw = {headers[i]: _cell(v) for i, v in enumerate(row) if i < len(headers) and headers[i]}
        out.append(BillRow(n, cid, org, amount, parse_date(get(i_date)), raw))
    return out


def read_table(path: Path, sheet: str = "") -> list[list[Any]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    return _read_csv(path)


def _read_csv(path: Path) -> list[list[Any]]:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):  # Chinese Excel saves CSV as GBK
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BillFormatError("CSV is neither UTF-8 nor GBK")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _read_xlsx(path: Path, sheet: str) -> list[list[Any]]:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet] if sheet else wb.worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def read_bill(path: Path, mapping: BillMapping) -> list[BillRow]:
    return rows_from_table(read_table(Path(path), mapping.sheet), mapping)
