"""Settings behind the manager PIN, built from the ``app.core.config`` pydantic models."""
