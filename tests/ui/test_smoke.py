"""``python -m app --smoke`` (what the bundle runs in CI) works from the source tree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_smoke_takes_one_order_to_delivered(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JUPEI_HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "app", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "SMOKE OK" in out.stdout and "delivered" in out.stdout
