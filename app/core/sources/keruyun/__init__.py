"""客如云 (Keruyun) POS order source: its 三方配送 scheme (the POS sends JuPei a delivery
order, JuPei reports the delivery status back, 客如云 notifies cancels)."""

from app.core.sources.keruyun.api import Connector
from app.core.sources.keruyun.rules import RULES

__all__ = ["RULES", "Connector"]
