"""One GUI per data dir: the OS file lock taken before the first frame (no QtNetwork)."""

from __future__ import annotations

import subprocess
import sys

from app.ui.app import _ask_running_to_show
from app.ui.instance_lock import InstanceLock
from app.ui.single_instance import SingleInstance, server_name

HOLD = """
import sys, time
from pathlib import Path
from app.ui.app import _ask_running_to_show
from app.ui.instance_lock import InstanceLock
from app.ui.single_instance import SingleInstance, server_name
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


def test_a_second_start_asks_the_running_gui_to_show_itself(qtbot, tmp_path):
    """What ``_run_qt`` does when the lock is held: the running GUI's server is asked."""
    running = SingleInstance(server_name(str(tmp_path)))
    assert running.listen()
    asked = []
    running.activated.connect(lambda: asked.append(1))
    try:
        assert _ask_running_to_show(str(tmp_path))
        qtbot.waitUntil(lambda: asked == [1])
    finally:
        running.close()
    assert not _ask_running_to_show(str(tmp_path / "nobody"))  # tries ~2 s, then gives up
