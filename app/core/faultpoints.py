"""Crash points for the reliability tests: ``JUPEI_TEST_CRASH_AT=<name>`` in the
environment makes the process kill itself (SIGKILL: no cleanup, no flush, as a power cut
or ``kill -9`` would) when it reaches the point of that name. Unset, a point costs one
dictionary lookup. Settings ignore the variable (it is no ``[section]``)."""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

ENV = "JUPEI_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, at once, when the environment asks for this point."""
    if os.environ.get(ENV) != name:
        return
    log.warning("crash point %s reached: killing this process (%s)", name, ENV)
    kill = getattr(signal, "SIGKILL", None)
    if kill is None:  # Windows: no SIGKILL; _exit skips every cleanup too
        os._exit(137)
    os.kill(os.getpid(), kill)
