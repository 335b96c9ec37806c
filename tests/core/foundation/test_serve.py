"""``python -m app serve`` runs headless, and SIGTERM shuts it down cleanly within 5 s."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.integration
def test_serve_starts_and_stops_on_sigterm(tmp_path):
    env = dict(
        os.environ,
        JUPEI_HOME=str(tmp_path),
        JUPEI_POS__PORT="0",
        JUPEI_POS__SECRET="serve-test-secret",
        QT_QPA_PLATFORM="offscreen",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if "JuPei core started" in line:
                break
        else:
            pytest.fail("serve did not start:\n" + "".join(lines))
        assert "rehearsal" in "".join(lines)
        from app.core.backup import running_lock_held

        assert running_lock_held(tmp_path / "data") == "serve.lock"  # `restore` refuses
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=10)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    rest = proc.stderr.read()
    proc.stderr.close()
    assert rc == 0, rest
    assert took < 5.0
    assert "JuPei core stopped" in rest
    assert (tmp_path / "data" / "jupei.db").exists()
    assert "PySide6" not in rest


def test_version():
    out = subprocess.run(
        [sys.executable, "-m", "app", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    from app import __version__

    assert out.stdout.strip() == f"JuPei {__version__}"
