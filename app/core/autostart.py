"""Start JuPei with the user's session: the Windows Run key, a macOS LaunchAgent, or an
XDG autostart entry on Linux. The command is the frozen executable, or ``python -m app``."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

NAME = "JuPei"
LABEL = "cn.jupei.desk"


def command() -> list[str]:
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "app"]


def supported() -> bool:
    return sys.platform in ("win32", "darwin") or sys.platform.startswith("linux")


def _xdg_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / "jupei.desktop"


def _agent_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def is_enabled() -> bool:
    if sys.platform == "win32":
        return _win_get() is not None
    if sys.platform == "darwin":
        return _agent_file().exists()
    return _xdg_file().exists()


def set_enabled(on: bool) -> None:
    if sys.platform == "win32":
        _win_set(on)
    elif sys.platform == "darwin":
        _write_or_remove(_agent_file(), _launch_agent() if on else None)
    else:
        _write_or_remove(_xdg_file(), _desktop_entry() if on else None)


def _write_or_remove(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _quoted() -> str:
    return " ".join(f'"{c}"' if " " in c else c for c in command())


def _desktop_entry() -> str:
    return (
        "[Desktop Entry]\nType=Application\nName=JuPei 聚配\n"
        f"Exec={_quoted()}\nX-GNOME-Autostart-enabled=true\nTerminal=false\n"
    )


def _launch_agent() -> str:
    import plistlib

    return plistlib.dumps(
        {"Label": LABEL, "ProgramArguments": command(), "RunAtLoad": True}
    ).decode()


def _winreg() -> ModuleType:  # pragma: no cover - Windows only
    # imported by name: its stub only exists for win32, and this module is checked on Linux
    return importlib.import_module("winreg")


def _win_get() -> str | None:  # pragma: no cover - Windows only
    winreg = _winreg()

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY) as k:
            return str(winreg.QueryValueEx(k, NAME)[0])
    except OSError:
        return None


def _win_set(on: bool) -> None:  # pragma: no cover - Windows only
    winreg = _winreg()

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY, 0, winreg.KEY_SET_VALUE) as k:
        if on:
            winreg.SetValueEx(k, NAME, 0, winreg.REG_SZ, _quoted())
        else:
            try:
                winreg.DeleteValue(k, NAME)
            except OSError:
                pass


_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"  # same value the installer sets
