"""ReportService: exports, chart summaries, carrier bill import and dispute CSVs.

The one surface the UI calls for reconciliation (``service.reports``). Heavy work runs
in a worker thread (exports stream rows from storage straight into the file); every
export and import is written to the audit log with who, when (the log's own time) and
which range.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.core.money import yuan_str
from app.core.reconciliation import export as ex
from app.core.reconciliation.bills import BillMapping, default_mapping, read_bill
from app.core.reconciliation.matching import BillRow, Candidate, MatchReport, match_bill
from app.core.reconciliation.summary import Aggregator, Summary, net_cost_fen
from app.core.storage import recon_repo as repo
from app.core.storage.repos import Database

log = logging.getLogger(__name__)

DateLike = dt.date | str
AuditFn = Callable[[str, str, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    path: Path
    seconds: float
    files: tuple[Path, ...] = ()
    summary: Summary | None = None


def iso(d: DateLike) -> str:
    return d.isoformat() if isinstance(d, dt.date) else dt.date.fromisoformat(d).isoformat()


class ReportService:
    def __init__(self, db: Database, *, settings: Callable[[], Settings], audit: AuditFn) -> None:
        self.db = db
        self.engine = db.engine
        self._settings = settings  # read live: saving the settings replaces the object
        self._audit = audit

    def store_name(self) -> str:
        return self._settings().store.name

    # ------------------------------------------------------------------ export
    async def export(
        self,
        path: str | Path,
        *,
        date_from: DateLike,
        date_to: DateLike,
        carriers: Sequence[str] | None = None,
        fmt: str = "xlsx",
        progress: ex.ProgressFn | None = None,
        cancel: Any = None,
        actor: str = "manager",
        lang: str = "zh",
    ) -> ExportResult:
        """Write the workbook (or three CSVs). ``progress(done, total)`` is called from
        the worker thread; ``cancel`` is a callable or ``threading.Event``. Cancelling
        (or cancelling the awaiting task) removes the partial file and raises
        ``ExportCancelled`` / ``CancelledError``."""
        if fmt not in ("xlsx", "csv"):
            raise ValueError(f"unknown export format {fmt!r}")
        path, d0, d1 = Path(path), iso(date_from), iso(date_to)
        cars = list(carriers) if carriers else None
        detail: dict[str, Any] = {"from": d0, "to": d1, "carriers": cars or "all", "fmt": fmt,
                                  "path": str(path)}  # fmt: skip
        stop = threading.Event()

        user_cancel = ex.as_predicate(cancel)

        def stopped() -> bool:
            return stop.is_set() or bool(user_cancel())

        try:
            result = await self._run_export(path, d0, d1, cars, fmt, progress, stopped, stop, lang)
        except (ex.ExportCancelled, asyncio.CancelledError):
            await self._audit(actor, "report_export_cancelled", detail)
            raise
        detail |= {"rows": result.rows, "seconds": round(result.seconds, 2)}
        await self._audit(actor, "report_exported", detail)
        log.info("export %s..%s: %d rows in %.1f s", d0, d1, result.rows, result.seconds)
        return result

    async def _run_export(
        self,
        path: Path,
        d0: str,
        d1: str,
        cars: list[str] | None,
        fmt: str,
        progress: ex.ProgressFn | None,
        stopped: Callable[[], bool],
        stop: threading.Event,
        lang: str,
    ) -> ExportResult:
        def work() -> ExportResult:
            t0 = time.perf_counter()
            total = repo.count_attempts(self.engine, d0, d1, cars)
            records = repo.iter_attempts(self.engine, d0, d1, cars)
            writer = ex.write_xlsx if fmt == "xlsx" else ex.write_csv
            rows, summary = writer(path, records, total, store=self.store_name(), lang=lang,
                                   progress=progress, cancel=stopped)  # fmt: skip
            files = (path,) if fmt == "xlsx" else ex.csv_paths(path)
            return ExportResult(rows, path, time.perf_counter() - t0, files, summary)

        fut = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            # the awaiting task was cancelled: stop the worker and let it remove the file
            stop.set()
            with contextlib.suppress(Exception):
                await fut
            raise

    # ------------------------------------------------------------------ summary
    async def summary(
        self, date_from: DateLike, date_to: DateLike, carriers: Sequence[str] | None = None
    ) -> Summary:
        """Per carrier, per day and per day x carrier aggregates for the charts."""
        d0, d1 = iso(date_from), iso(date_to)

        def work() -> Summary:
            agg = Aggregator()
            for r in repo.iter_attempts(self.engine, d0, d1, list(carriers) if carriers else None):
                agg.add(r)
            return agg.result()

        return await asyncio.to_thread(work)

    # ------------------------------------------------------------------ bill mapping
    async def get_mapping(self, carrier: str) -> BillMapping:
        stored = await self.db.run(self.db.kv_get, f"bill_mapping.{carrier}")
        return BillMapping.from_dict(stored) if stored else default_mapping(carrier)

    async def set_mapping(self, carrier: str, mapping: BillMapping, actor: str = "manager") -> None:
        await self.db.run(self.db.kv_set, f"bill_mapping.{carrier}", mapping.to_dict())
        await self._audit(actor, "bill_mapping_set", {"carrier": carrier, **mapping.to_dict()})

    # ------------------------------------------------------------------ bill import
    async def import_bill(
        self,
        carrier: str,
        path: str | Path,
        mapping: BillMapping | None = None,
        *,
        date_from: DateLike | None = None,
        date_to: DateLike | None = None,
        actor: str = "manager",
    ) -> MatchReport:
        """Read a statement, match it against our attempts of ``carrier`` whose business
        date is in the window (default: the statement's own first..last date), store
        the lines in ``bill_lines`` and return the report."""
        mapping = mapping or await self.get_mapping(carrier)
        path = Path(path)
        rows = await asyncio.to_thread(read_bill, path, mapping)
        dates = sorted(r.bill_date for r in rows if r.bill_date)
        d0 = iso(date_from) if date_from else (dates[0] if dates else "0000-01-01")
        d1 = iso(date_to) if date_to else (dates[-1] if dates else "9999-12-31")
        cands = await asyncio.to_thread(self._candidates, carrier, d0, d1)
        report = match_bill(carrier, rows, cands)
        import_id = uuid.uuid4().hex
        await asyncio.to_thread(self._store_lines, import_id, carrier, report)
        report = MatchReport(carrier, report.matches, report.unmatched_rows,
                             report.unmatched_attempts, import_id, d0, d1)  # fmt: skip
        detail = {"carrier": carrier, "file": path.name, "from": d0, "to": d1,
                  "import_id": import_id, "lines": len(rows), **report.counts()}  # fmt: skip
        await self._audit(actor, "bill_imported", detail)
        return report

    def _candidates(self, carrier: str, d0: str, d1: str) -> list[Candidate]:
        return [
            Candidate(
                r.attempt_id,
                r.carrier_order_id,
                r.idempotency_key,
                net_cost_fen(r),
                r.pos_order_id,
                r.business_date,
            )
            for r in repo.carrier_attempts(self.engine, carrier, d0, d1)
        ]

    def _store_lines(self, import_id: str, carrier: str, report: MatchReport) -> None:
        lines: list[tuple[BillRow, int | None]] = [
            (m.row, m.attempt.attempt_id) for m in report.matches
        ]
        lines += [(u.row, None) for u in report.unmatched_rows]
        lines.sort(key=lambda x: x[0].line_no)
        repo.insert_bill_lines(
            self.engine,
            import_id,
            carrier,
            (
                repo.BillLineRow(
                    r.line_no,
                    r.carrier_order_id,
                    r.origin_id,
                    r.amount_fen,
                    r.bill_date,
                    aid,
                    dict(r.raw),
                )
                for r, aid in lines
            ),
        )

    # ------------------------------------------------------------------ disputes
    async def dispute_csv(
        self, report: MatchReport, path: str | Path, actor: str = "manager"
    ) -> int:
        """Variance lines, bill-only lines and our unbilled attempts, one per row."""
        path = Path(path)
        n = await asyncio.to_thread(write_dispute_csv, report, path)
        detail = {"carrier": report.carrier, "import_id": report.import_id, "rows": n,
                  "from": report.date_from, "to": report.date_to, "path": str(path)}  # fmt: skip
        await self._audit(actor, "dispute_exported", detail)
        return n


DISPUTE_HEADER = ["类型", "账单行", "平台运单号", "我方单号", "POS单号", "营业日",
                  "账单金额(元)", "我方成本(元)", "差异(元)", "差异(分)", "说明"]  # fmt: skip


TEXT_COLS = {2, 3, 4, 10}  # ids and notes; money strings may start with "-" legitimately


def write_dispute_csv(report: MatchReport, path: Path) -> int:
    rows: list[list[Any]] = []
    for m in report.disputes:
        a, r = m.attempt, m.row
        rows.append(["金额差异", r.line_no, r.carrier_order_id or a.carrier_order_id,
                     a.origin_id, a.pos_order_id, a.business_date, yuan_str(r.amount_fen),
                     yuan_str(a.cost_fen), yuan_str(m.variance_fen), m.variance_fen, ""])  # fmt: skip
    for u in report.unmatched_rows:
        r = u.row
        why = "重复账单行" if u.reason == "duplicate" else "我方无此单"
        rows.append(["仅账单有", r.line_no, r.carrier_order_id, r.origin_id, "", r.bill_date,
                     yuan_str(r.amount_fen), "", yuan_str(r.amount_fen), r.amount_fen, why])  # fmt: skip
    for a in report.unmatched_attempts:
        rows.append(["仅我方有", "", a.carrier_order_id, a.origin_id, a.pos_order_id,
                     a.business_date, "", yuan_str(a.cost_fen), yuan_str(-a.cost_fen),
                     -a.cost_fen, "账单未列"])  # fmt: skip
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(DISPUTE_HEADER)
        out.writerows(
            [ex.csv_text(v) if i in TEXT_COLS else v for i, v in enumerate(r)] for r in rows
        )
    return len(rows)
