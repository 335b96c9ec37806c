"""饿了么 (napos OpenAPI) order source."""

from app.core.sources.eleme.api import Connector
from app.core.sources.eleme.rules import RULES

__all__ = ["RULES", "Connector"]
