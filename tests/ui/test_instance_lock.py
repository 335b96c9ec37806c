"""One GUI per data dir: the OS file lock taken before the first frame (no QtNetwork)."""

from __future__ import annotations

import subprocess
import sys

from app.ui.instance_lock import InstanceLock

HOLD = """
import sys, time
from pathlib import Path
from app.ui.instance_lock import InstanceLock
assert InstanceLock(Path(sys.argv[1])).acquire()
print("HELD", flush=True)
time.sleep(60)
"""


def test_a_second_lock_on_the_same_file_is_refused_until_released(tmp_path):
    path = tmp_path / "gui.lock"
    first, second = InstanceLock(path), InstanceLock(path)
    assert first.acquire()
    assert first.acquire()  # already held by this one: still true
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_lock_goes_with_the_process(tmp_path):
    """A killed GUI leaves no stale lock behind (the OS drops it with the process)."""
    path = tmp_path / "gui.lock"
    cmd = [sys.executable, "-c", HOLD, str(path)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "HELD"
            assert not InstanceLock(path).acquire()
        finally:
            holder.kill()
    after = InstanceLock(path)
    assert after.acquire()
    after.release()
