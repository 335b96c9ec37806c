"""Logging: a rotating file in the platform log dir plus stderr, both behind a
redaction filter that removes known secrets, signed plaintexts and phone numbers."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

from app.core.privacy import mask_phones_in
from app.core.storage.faults import StorageLogFilter

_SECRET_FIELD = re.compile(
    r"(?i)((?:app_?secret|dev_?key|secret|signature|sign|access_token|password|pin)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;}]+)"
)


class Redactor(logging.Filter):
    """Masks registered secret values, ``secret=...``-like fields and mobile numbers."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def register(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self._secrets.add(value)

    def redact(self, text: str) -> str:
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, "***")
        text = _SECRET_FIELD.sub(r"\1***", text)
        return mask_phones_in(text)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = self.redact(msg)
        if clean != msg or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


REDACTOR = Redactor()
# a full disk must not fill the log: storage-fault tracebacks once a minute per logger
STORAGE_LOG_FILTER = StorageLogFilter()
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(log_dir: Path | None, level: str = "INFO", *, stderr: bool = True) -> None:
    root = logging.getLogger()
    root.setLevel(level.upper())
    for h in list(root.handlers):
        if getattr(h, "_jupei", False):
            root.removeHandler(h)
    handlers: list[logging.Handler] = []
    if log_dir is not None:
        fh = logging.handlers.RotatingFileHandler(
            log_dir / "jupei.log", maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
        handlers.append(fh)
    if stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    for h in handlers:
        h.setFormatter(logging.Formatter(_FORMAT))
        h.addFilter(STORAGE_LOG_FILTER)
        h.addFilter(REDACTOR)
        h._jupei = True  # type: ignore[attr-defined]
        root.addHandler(h)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
