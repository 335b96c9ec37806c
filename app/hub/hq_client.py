"""The head-office desktop's door to the hub (no Qt): a small blocking client the HQ
window calls from a worker thread (``asyncio.to_thread``), never on the GUI thread.

``export`` streams ``GET /hub/v1/hq/export`` (NDJSON) straight into the counter's own
workbook writer (XLSX or CSV, the same sheets as the counter's export, one row per
attempt with its store's name), so memory stays flat however many rows come.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from app.core.reconciliation.export import write_csv, write_xlsx
from app.core.reconciliation.summary import Summary, SummaryRow
from app.core.storage.recon_repo import AttemptRecord
from app.hub.hq_api import OrderKeys

_DATES = ("created_at", "dispatched_at", "accepted_at", "picked_up_at", "finished_at")
_FIELDS = AttemptRecord._fields


class HqError(Exception):
    """The hub refused (the message says why) or could not be reached."""


class HqAuthError(HqError):
    """Not logged in, wrong name or password, or the login expired."""


@dataclass(frozen=True, slots=True)
class HqExportResult:
    rows: int
    path: Path
    seconds: float
    files: tuple[Path, ...]


def summary_row(d: dict[str, Any]) -> SummaryRow:
    return SummaryRow(
        str(d["key"]), int(d["orders"]), int(d["attempts"]), int(d["delivered"]),
        int(d["cancels"]), int(d["cancel_fee_fen"]), int(d["tip_fen"]), int(d["net_cost_fen"]),
        d["accept_mean_min"], d["accept_p90_min"], d["deliver_mean_min"], d["deliver_p90_min"],
        int(d["failovers"]),
    )  # fmt: skip


def summary_from(doc: dict[str, Any]) -> Summary:
    """The hub's report summary as the reports view's ``Summary``."""
    return Summary(
        [summary_row(r) for r in doc["carriers"]],
        [summary_row(r) for r in doc["days"]],
        {(r["day"], r["carrier"]): summary_row(r) for r in doc["day_carrier"]},
        summary_row(doc["total"]),
    )


def record_from_json(doc: dict[str, Any]) -> AttemptRecord:
    values: dict[str, Any] = {k: doc.get(k) for k in _FIELDS}
    for k in _DATES:
        if values[k]:
            values[k] = dt.datetime.fromisoformat(str(values[k]))
    return AttemptRecord(**values)


class HqClient:
    def __init__(self, url: str, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0) -> None:  # fmt: skip
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=5),
            transport=transport,
            trust_env=False,
            headers={"User-Agent": "JuPei-HQ/0.1"},
        )
        self.token = ""
        self.user = ""

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ plumbing
    def _auth(self) -> dict[str, str]:
        if not self.token:
            raise HqAuthError("not logged in")
        return {"Authorization": f"Bearer {self.token}"}

    @staticmethod
    def _check(resp: httpx.Response) -> Any:
        if resp.status_code == 200:
            return resp.json()
        try:
            msg = str(resp.json().get("error", ""))
        except ValueError:
            msg = resp.text[:200]
        err = HqAuthError if resp.status_code in (401, 403) else HqError
        raise err(f"HTTP {resp.status_code}: {msg}")

    def _get(self, path: str, params: Any = None) -> Any:
        try:
            resp = self.http.get(self.url + path, params=params, headers=self._auth())
        except httpx.HTTPError as e:
            raise HqError(f"hub not reached at {self.url}: {type(e).__name__}") from None
        return self._check(resp)

    # ------------------------------------------------------------------ calls
    def login(self, name: str, password: str) -> str:
        try:
            resp = self.http.post(
                self.url + "/hub/v1/hq/login", json={"name": name, "password": password}
            )
        except httpx.HTTPError as e:
            raise HqError(f"hub not reached at {self.url}: {type(e).__name__}") from None
        doc = self._check(resp)
        self.token, self.user = str(doc["token"]), str(doc["name"])
        return self.user

    def stores(self) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = self._get("/hub/v1/hq/stores")["stores"]
        return got

    def board(self, store_ids: Sequence[str] = (), *, limit: int = 100,
              before: str | None = None) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
        params: list[tuple[str, str | int]] = [("store", s) for s in store_ids]
        params.append(("limit", limit))
        if before:
            params.append(("before", before))
        doc = self._get("/hub/v1/hq/board", params)
        return list(doc["rows"]), doc.get("next")

    def reports(self, date_from: dt.date, date_to: dt.date,
                store_ids: Sequence[str] = ()) -> dict[str, Any]:  # fmt: skip
        params: list[tuple[str, str]] = [("from", date_from.isoformat()),
                                         ("to", date_to.isoformat())]  # fmt: skip
        params += [("store", s) for s in store_ids]
        doc: dict[str, Any] = self._get("/hub/v1/hq/reports", params)
        return doc

    def summary(self, date_from: dt.date, date_to: dt.date,
                store_ids: Sequence[str] = ()) -> Summary:  # fmt: skip
        return summary_from(self.reports(date_from, date_to, store_ids)["summary"])

    def export(self, path: Path, *, date_from: dt.date, date_to: dt.date,
               store_ids: Sequence[str] = (), fmt: str = "xlsx", lang: str = "zh",
               progress: Callable[[int, int], None] | None = None,
               cancel: Any = None) -> HqExportResult:  # fmt: skip
        """Stream the stores' reconciliation rows into ``path`` (blocking; a worker
        thread). ``cancel``: a ``threading.Event``; the partial file is removed."""
        t0 = time.perf_counter()
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("from", date_from.isoformat()), ("to", date_to.isoformat())]  # fmt: skip
        params += [("store", s) for s in store_ids]
        writer = write_xlsx if fmt == "xlsx" else write_csv
        try:
            with self.http.stream("GET", self.url + "/hub/v1/hq/export", params=params,
                                  headers=self._auth(), timeout=httpx.Timeout(
                                      60, connect=5)) as resp:  # fmt: skip
                if resp.status_code != 200:
                    resp.read()
                    self._check(resp)
                lines = resp.iter_lines()
                head = json.loads(next(lines))
                names: dict[str, str] = head["stores"]
                feed = _Feed(lines, names)
                rows, _summary = writer(path, iter(feed), int(head["total"]), store=feed.store,
                                        lang=lang, progress=progress, cancel=cancel)  # fmt: skip
                if not feed.ended:
                    path.unlink(missing_ok=True)
                    raise HqError("the export stream was cut before its end; nothing saved")
        except httpx.HTTPError as e:
            path.unlink(missing_ok=True)
            raise HqError(f"export interrupted: {type(e).__name__}") from None
        files: tuple[Path, ...] = (path,)
        if fmt != "xlsx":
            from app.core.reconciliation.export import csv_paths

            files = csv_paths(path)
        return HqExportResult(rows, path, time.perf_counter() - t0, files)


class _Feed:
    """NDJSON lines → ``AttemptRecord``s for the writer, with each row's store name at
    hand (``store``) and order ids made unique across stores for the summaries."""

    def __init__(self, lines: Iterator[str], names: dict[str, str]) -> None:
        self.lines, self.names = lines, names
        self.keys = OrderKeys()
        self.current = ""
        self.ended = False

    def __iter__(self) -> Iterator[AttemptRecord]:
        for line in self.lines:
            if not line.strip():
                continue
            doc = json.loads(line)
            if doc.get("end"):
                self.ended = True
                return
            store_id = str(doc.pop("store_id"))
            self.current = self.names.get(store_id, store_id)
            r = record_from_json(doc)
            yield r._replace(order_id=self.keys.key(store_id, r.order_id))

    def store(self, _r: AttemptRecord) -> str:
        return self.current
