"""The counter GUI (PySide6). Talks to the core only through ``AppService`` and the event
bus; no httpx or sqlalchemy here. Entry point: ``app.ui.app.run_gui``."""
