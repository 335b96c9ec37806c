"""Leak scan (issue 10): after a full rehearsal flow (POS -> signed HTTP API -> carrier
sandboxes -> dispatch -> delivered -> printing -> xlsx/csv export -> settings saved), no
secret appears in the database, config, logs, tickets, exports or the diagnostics ZIP
(issue 19: made in-process with the secret store, and by ``python -m app diagnose --zip``
in a fresh process that knows only the env), and no full mobile number appears in logs,
tickets, exports or any file of the diagnostics ZIP.

The database may keep the customer's phone (delivery needs it); it must not keep secrets.
PDF tickets are raster images (``render.save_pdf``), so their text is checked on the
``Ticket`` ops the PDF transport rasterises, besides the PDF bytes themselves."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.core.carriers.gateway import credentials_for
from app.core.diagnostics import collect, write_zip
from app.core.domain import DeliveryStatus
from app.core.logs import setup_logging
from app.core.pos.sim import make_order_payload, post_orders
from app.core.printing import layout
from app.core.storage.print_repo import DONE
from tests.helpers import POS_SECRET, started_core, wait_until

DADA_SECRET = "LEAKCANARY-dada-secret-7f3a"
SF_DEVKEY = "LEAKCANARY-sf-devkey-91c2"
# 8 digits (4-12 allowed): a 4-digit PIN would match by chance in coordinates,
# timestamps or amounts in a raw byte scan, proving nothing either way.
PIN = "86420975"
SECRETS = {"pos secret": POS_SECRET, "dada app_secret": DADA_SECRET, "sf dev_key": SF_DEVKEY}
PHONES = ["13912345678", "15087654321"]
NOTE_PHONE = "18611223344"
# not after a "." either: xlsx date serials carry long fractions (46351.19759407469)
MOBILE = re.compile(r"(?<![\d.])1[3-9]\d{9}(?!\d)")
RUN_MARKER = "leak-scan"  # the scan must really have seen the flow's own log lines


def _texts_of(ops) -> str:
    out = []
    for op in ops:
        if isinstance(op, layout.Text):
            out.append(op.text)
        elif isinstance(op, layout.QR):
            out.append(op.data)
    return "\n".join(out)


def _xlsx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xml", ".rels"))
        )


def _find(haystack: str, needle: str) -> list[str]:
    """Up to three snippets around each hit, for a readable failure."""
    return [
        haystack[max(0, m.start() - 60) : m.end() + 60]
        for m in list(re.finditer(re.escape(needle), haystack))[:3]
    ]


@pytest.mark.integration
@pytest.mark.asyncio
@pytest.mark.slow  # the reliability suite is its own CI stage
async def test_no_secret_or_full_phone_leaks_after_full_rehearsal_flow(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPEI_CARRIERS__DADA__APP_SECRET", DADA_SECRET)
    log_dir, pdf_dir, out_dir = tmp_path / "log", tmp_path / "pdf", tmp_path / "out"
    for d in (log_dir, out_dir):
        d.mkdir()
    root = logging.getLogger()
    prev_level = root.level
    noisy = {n: logging.getLogger(n).level for n in ("httpx", "httpcore", "aiohttp.access")}
    noisy["alembic"] = logging.getLogger("alembic").level
    setup_logging(log_dir, "DEBUG", stderr=False)

    tickets: dict[str, list[str]] = {}  # "<printer>" -> decoded ticket texts
    config_path = tmp_path / "conf" / "config.toml"
    rider_phones: set[str] = set()
    try:
        printers = [
            {"name": "pdf", "kind": "pdf", "pdf_dir": str(pdf_dir)},
            {"name": "dummy", "kind": "dummy"},
        ]
        async with started_core(tmp_path, pos=True, printing={"printers": printers}) as core:
            svc = core.service
            logging.getLogger("tests.leak").info("%s: flow starts", RUN_MARKER)
            # secrets through every path the app offers: env override, store, PIN
            await svc.set_pin(PIN)
            svc.set_carrier_secret("sf", "dev_key", SF_DEVKEY)
            assert svc.check_pin(PIN) and svc.carrier_secret_present("sf", "dev_key")
            assert credentials_for("dada", svc.settings, svc.secrets).get("app_secret") == (
                DADA_SECRET
            )
            assert svc.pos_secret() == POS_SECRET

            # the PDF transport rasterises: keep the text it was given
            pdf_send = svc.printing.transports["pdf"]

            def pdf_spy(printer, ticket, *, copies, job_id):
                tickets.setdefault("pdf-ops", []).append(_texts_of(ticket.ops))
                pdf_send(printer, ticket, copies=copies, job_id=job_id)

            svc.printing.register_transport("pdf", pdf_spy)

            rng = random.Random(10)
            payloads = []
            for i, phone in enumerate(PHONES):
                p = make_order_payload(rng, svc.settings.store, i, dispatch="manual")
                p["customer"]["phone"] = phone
                p["note"] = f"到了打电话 {NOTE_PHONE}，或者{phone}"
                payloads.append(p)
            url = f"{core.pos_listener.base_url}/api/v1/orders"
            stats = await post_orders(url, POS_SECRET, payloads, rate=0, concurrency=2)
            assert stats.codes == {201: 2}, stats.summary()

            oids = []
            for p in payloads:
                d = await svc.order_detail_by_pos_id(p["pos_order_id"])
                assert d is not None and d.order.customer.phone in PHONES
                oids.append(d.order.id)

            for oid in oids:
                await svc.dispatcher.dispatch(oid)
            sb = core.sandbox.engine
            for _ in range(40):
                sb.advance(120)
                for oid in oids:
                    await svc.dispatcher.refresh(oid)
                states = [(await svc.order_detail(oid)).attempt.status for oid in oids]
                if all(s is DeliveryStatus.DELIVERED for s in states):
                    break
            assert states == [DeliveryStatus.DELIVERED] * 2, states
            for oid in oids:
                a = (await svc.order_detail(oid)).attempt
                if a.rider and a.rider.phone:
                    rider_phones.add(re.sub(r"\D", "", a.rider.phone))

            # auto-print on new order already queued receipts; now print with the rider
            for oid in oids:
                for printer in ("pdf", "dummy"):
                    await svc.printing.print_order(oid, printer=printer, reason="leakscan")

            async def all_printed():
                jobs = [j for oid in oids for j in await svc.printing.jobs_for_order(oid)]
                return len(jobs) >= 8 and all(j.state == DONE for j in jobs)

            await wait_until(all_printed, timeout=10)
            tickets["dummy"] = [b.decode("gb18030") for b in svc.printing.dummy_output["dummy"]]

            today = dt.date.today()
            day0, day1 = today - dt.timedelta(days=2), today + dt.timedelta(days=2)
            xlsx = out_dir / "report.xlsx"
            res = await svc.reports.export(xlsx, date_from=day0, date_to=day1, fmt="xlsx")
            assert res.rows >= 2
            res_csv = await svc.reports.export(
                out_dir / "report.csv", date_from=day0, date_to=day1, fmt="csv"
            )
            csv_files = [Path(f) for f in res_csv.files]

            svc.config_path = config_path
            await svc.save_settings(svc.settings)
            logging.getLogger("tests.leak").info("%s: flow done", RUN_MARKER)
            # the diagnostics pack as the GUI makes it: the running app's store and view
            live = {"printers": [dataclasses.asdict(p) for p in svc.printer_status()]}
            diag = collect(
                svc.settings, config_path=config_path, store=svc.secrets, log_dir=log_dir,
                live=live,
            )  # fmt: skip
            zip_in_process = write_zip(diag, out_dir / "diag-gui.zip")
    finally:
        for h in list(root.handlers):
            if getattr(h, "_jupei", False):
                root.removeHandler(h)
                h.close()
        root.setLevel(prev_level)
        for name, level in noisy.items():
            logging.getLogger(name).setLevel(level)

    # the pack from the command line: a fresh process, no keyring, the dada secret in env
    zip_cli = out_dir / "diag-cli.zip"
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPEI_")}
    env |= {"JUPEI_HOME": str(tmp_path), "JUPEI_CARRIERS__DADA__APP_SECRET": DADA_SECRET}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"  # never this PC's keyring
    root_dir = Path(__file__).resolve().parents[2]
    cli = subprocess.run(
        [sys.executable, "-m", "app", "diagnose", "--config", str(config_path),
         "--zip", str(zip_cli)],
        cwd=root_dir, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert "integrity: ok" in cli.stdout and DADA_SECRET not in cli.stdout + cli.stderr

    # ------------------------------------------------------------------ gather
    db = tmp_path / "test.db"
    db_bytes = b"".join(
        p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()
    )
    log_files = sorted(log_dir.glob("jupei.log*"))
    logs = "\n".join(p.read_text("utf-8") for p in log_files)
    assert f"{RUN_MARKER}: flow done" in logs and "POS API listening" in logs
    config_text = config_path.read_text("utf-8")
    assert "[store]" in config_text
    pdfs = sorted(pdf_dir.glob("*.pdf"))
    assert len(pdfs) >= 4 and len(tickets["pdf-ops"]) == len(pdfs)
    assert len(tickets["dummy"]) >= 4
    pdf_text = ""
    if shutil.which("pdftotext"):  # raster PDFs: normally empty, scanned if ever not
        pdf_text = "\n".join(
            subprocess.run(
                ["pdftotext", str(p), "-"], capture_output=True, text=True, check=True
            ).stdout
            for p in pdfs
        )
    dummy_text = "\n".join(tickets["dummy"])
    exports = {"xlsx": _xlsx_text(xlsx)} | {
        f.name: f.read_bytes().decode("utf-8-sig") for f in csv_files
    }

    diag_texts = {}
    for which, zpath in (("gui", zip_in_process), ("cli", zip_cli)):
        with zipfile.ZipFile(zpath) as z:
            for name in z.namelist():
                diag_texts[f"diagnostics {which} {name}"] = z.read(name).decode("utf-8")
    for which in ("gui", "cli"):  # the packs really hold the flow's logs and orders
        assert f"{RUN_MARKER}: flow done" in diag_texts[f"diagnostics {which} logs/jupei.log"]
        counts = json.loads(diag_texts[f"diagnostics {which} database.json"])["row_counts"]
        assert counts["orders"] == 2, counts

    texts = {
        **diag_texts,
        "config": config_text,
        "logs": logs,
        "ticket escpos (dummy)": dummy_text,
        "ticket text (pdf)": "\n".join(tickets["pdf-ops"]),
        "pdf text (pdftotext)": pdf_text,
        **{f"export {k}": v for k, v in exports.items()},
    }
    raw = {
        "diagnostics zip gui": zip_in_process.read_bytes(),
        "diagnostics zip cli": zip_cli.read_bytes(),
        "database": db_bytes,
        **{f"pdf {p.name}": p.read_bytes() for p in pdfs},
    }

    # ------------------------------------------------------------------ secrets
    secrets = SECRETS | {"manager PIN": PIN}
    leaks = []
    for where, text in texts.items():
        for what, value in secrets.items():
            if value in text:
                leaks.append((what, where, _find(text, value)))
    for where, blob in raw.items():
        for what, value in secrets.items():
            if value.encode() in blob:
                leaks.append((what, where, "raw bytes"))
    assert not leaks, leaks

    # ------------------------------------------------------------------ phones
    known = set(PHONES) | {NOTE_PHONE} | rider_phones
    assert set(PHONES) <= {m.decode() for m in re.findall(rb"1[3-9]\d{9}", db_bytes)}
    phone_leaks = [
        (where, m.group(), text[max(0, m.start() - 60) : m.end() + 60])
        for where, text in texts.items()
        for m in MOBILE.finditer(text)
    ]
    assert not phone_leaks, (sorted(known), phone_leaks)

    # ------------------------------------------------------------------ the scan saw data
    # tickets and exports really show the orders, masked; else "no leak" proves nothing
    masked = [f"{p[:3]}****{p[-4:]}" for p in PHONES]
    for where in ("ticket escpos (dummy)", "ticket text (pdf)", "export xlsx", "export report.csv"):
        assert all(m in texts[where] for m in masked), where
    assert f"{NOTE_PHONE[:3]}****{NOTE_PHONE[-4:]}" in texts["ticket escpos (dummy)"]
    assert rider_phones and all(f"{r[:3]}****{r[-4:]}" in dummy_text for r in rider_phones)
