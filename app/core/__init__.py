"""The embedded core: domain, carriers, dispatch, POS intake, printing, storage.

Nothing under ``app.core`` may import PySide6, qasync or ``app.ui``; a test walks the
imports and fails the run if one does.
"""
