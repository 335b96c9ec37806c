"""Subprocess helpers for the reliability tests: the sandboxes and ``serve`` as separate
processes, so a SIGKILL of the app never touches the carrier side's counters."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPEI_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited early ({proc.returncode})")
        try:
            if httpx.get(url, timeout=1, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not up in {timeout}s")


def _popen(cmd: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    if log is None:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    with open(log, "ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def start_sandbox(
    port: int,
    *,
    speed: float = 0,
    log: Path | None = None,
    sources_port: int = -1,
    push_to: str = "",
    push_retry_s: float = 0,
) -> subprocess.Popen:
    """Carrier sandboxes; with ``sources_port`` >= 0 the 美团/饿了么 simulators too,
    pushing to ``push_to`` (a JuPei listener base URL)."""
    cmd = [sys.executable, "-m", "app", "sandbox", "--port", str(port), "--speed", str(speed)]
    cmd += ["--sources-port", str(sources_port), "--push-retry-s", str(push_retry_s)]
    if push_to:
        cmd += ["--push-to", push_to]
    proc = _popen(cmd, clean_env(), log)
    wait_http(f"http://127.0.0.1:{port}/__sandbox/stats", proc)
    if sources_port >= 0:
        wait_http(f"http://127.0.0.1:{sources_port}/__sources/meituan/log", proc)
    return proc


def start_serve(env: dict[str, str], pos_port: int, *, log: Path | None = None) -> subprocess.Popen:
    proc = _popen([sys.executable, "-m", "app", "serve"], env, log)
    wait_http(f"http://127.0.0.1:{pos_port}/api/v1/health", proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def sandbox_stats(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/__sandbox/stats", timeout=10, trust_env=False).json()
