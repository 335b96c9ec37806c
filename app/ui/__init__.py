"""The counter GUI (PySide6). Talks to the core only through ``AppService`` (its
keyword-only operations, ``order_actions``, ``carriers`` and ``subscribe_all``) plus pure
helpers (money, privacy, geo, board lanes); ``tests/core/foundation/test_boundaries.py``
checks it. Entry point: ``app.ui.app.run_gui``."""
