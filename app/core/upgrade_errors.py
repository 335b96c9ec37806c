"""The upgrade failure, importable before the heavy storage modules (the entry point
catches it before the GUI's first paint)."""

from __future__ import annotations

EXIT_UPGRADE = 3  # what ``serve`` and the GUI return when the upgrade failed


class UpgradeFailed(RuntimeError):
    """The database could not be upgraded; the old file is untouched."""
