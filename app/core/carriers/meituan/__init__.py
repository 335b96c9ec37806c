"""美团配送 (Meituan Peisong, legacy peisongopen API) carrier package.

The newer MTOp gateway (api-open-cater.meituan.com, developerId/signKey, biz JSON) is
future work; this package speaks the legacy ``/api/`` family only.
"""

from app.core.carriers.meituan.api import Adapter
from app.core.carriers.meituan.rules import BILL_COLUMNS, COLOUR, RULES
from app.core.carriers.meta import CarrierMeta

__all__ = ["META", "RULES", "Adapter"]

META = CarrierMeta(RULES, Adapter, COLOUR, BILL_COLUMNS)
