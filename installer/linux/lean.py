"""Linux-only slimming steps for ``build.spec`` (README "Packaging" says what and why).

* :func:`with_trimmed_icu` swaps Qt's 31 MB ICU data library for a ~5.5 MB one with only
  the zh/en locales (``icu_trim.py``).
* :func:`prune` leaves out the client libraries of two OS services —
  CUPS (``libcups``, pulled by Qt's CUPS print plugin) and PulseAudio (``libpulse``, pulled
  by QtMultimedia) — together with every library only they need (GnuTLS, Kerberos, Avahi,
  libsndfile and its codecs...). A machine that runs CUPS or a sound server has these
  client libraries installed; one that does not has nothing they could talk to. Without
  them Qt lists no system printers and the app's audio alerts switch themselves off
  (``app/ui/alerts.py``), exactly as on a machine without those services. It also drops
  system libraries that only the plugins ``build.spec`` removed needed.

Both work on PyInstaller TOC entries ``(dest, src, typecode)`` and need ``gcc``,
``objcopy`` and ``readelf`` (binutils) on the build machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from icu_trim import trim_library

SERVICE_CLIENTS = ("libcups.so.2", "libpulse.so.0")

Entry = tuple[str, str, str]


def _needed(path: str) -> list[str]:
    """The DT_NEEDED names of an ELF file (direct dependencies only)."""
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return [ln.split("[", 1)[1].rstrip("]") for ln in out.splitlines() if "(NEEDED)" in ln]


def _reachable(binaries: list[Entry], removed: set[str]) -> set[str]:
    """Sources reachable by DT_NEEDED from everything that is not a top-level library."""
    by_name = {os.path.basename(dest): src for dest, src, _ in binaries}
    roots = [src for dest, src, _ in binaries if not _top_level_lib(dest)]
    seen: set[str] = set()
    while roots:
        src = roots.pop()
        if src in seen:
            continue
        seen.add(src)
        roots += [by_name[n] for n in _needed(src) if n in by_name and n not in removed]
    return seen


def _top_level_lib(dest: str) -> bool:
    """A shared library PyInstaller copied from the system into the bundle's top level."""
    return "/" not in dest.replace(os.sep, "/") and ".so" in dest and "cpython" not in dest


def prune(analysed: list[Entry], kept: list[Entry]) -> tuple[list[Entry], list[str]]:
    """``kept`` without the CUPS/PulseAudio client chains and without the system libraries
    that only dropped plugins needed (the GTK theme's Cairo/Pango, the WebP plugin's...).

    ``analysed`` is PyInstaller's list before any dropping: a top-level library goes only if
    something reached it then and nothing kept reaches it now, so libraries PyInstaller
    added for another reason (found through ctypes, by a hook) are never touched."""
    before = _reachable(analysed, set())
    after = _reachable(kept, set(SERVICE_CLIENTS))
    gone = [e for e in kept if _top_level_lib(e[0]) and e[1] in before - after]
    return [e for e in kept if e not in gone], sorted(os.path.basename(e[0]) for e in gone)


def with_trimmed_icu(binaries: list[Entry], work: Path) -> list[Entry]:
    """``binaries`` with ``libicudata.so.NN`` replaced by a zh/en-only build of it."""
    out = []
    for dest, src, kind in binaries:
        if os.path.basename(dest).startswith("libicudata.so."):
            src = str(trim_library(Path(src), work / "icu"))
        out.append((dest, src, kind))
    return out
