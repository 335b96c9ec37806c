"""有赞 trade codes (shared/sources/wechat_miniprogram.md §2; the trade status names are
有赞's public trade states, their meaning for us ASSUMED where marked)."""

from __future__ import annotations

from app.core.domain.source_order import FulfilmentMode, SourceOrderState
from app.core.sources.base import SourceAuthError, SourceNotFoundError, SourceRateLimitedError
from app.core.sources.kit import ErrorRule

# trade ``status`` -> our state. 有赞 has no merchant accept step: a paid trade is
# already confirmed (ASSUMED [~]: WAIT_SELLER_SEND_GOODS = paid, to deliver).
ORDER_STATE: dict[str, SourceOrderState] = {
    "WAIT_BUYER_PAY": SourceOrderState.NEW,
    "TRADE_PAID": SourceOrderState.CONFIRMED,
    "WAIT_SELLER_SEND_GOODS": SourceOrderState.CONFIRMED,
    "WAIT_BUYER_CONFIRM_GOODS": SourceOrderState.CONFIRMED,
    "TRADE_SUCCESS": SourceOrderState.COMPLETED,
    "TRADE_CLOSED": SourceOrderState.CANCELLED,
}
UNPAID = "WAIT_BUYER_PAY"

# ``express_type`` -> who delivers (ASSUMED [?]: 0 快递, 1 到店自提, 2 同城配送). A parcel
# (快递) is not a same-city order: it is not stored nor shown (the desk would otherwise
# take it for a platform delivery whose rider never comes and alert after 10 minutes).
PARCEL = 0
FULFILMENT: dict[int, FulfilmentMode] = {
    PARCEL: FulfilmentMode.PLATFORM_DELIVERY,
    1: FulfilmentMode.PICKUP,
    2: FulfilmentMode.SELF_DELIVERY,
}

OK_CODE = 200  # API answers ``{"success": true, "code": 200, "data": ...}`` [?]
# ASSUMED [?]: error codes of the trade API / token service
AUTH_CODES = frozenset({4001, 4002, 4003, 4201, 4202, 4203})
RATE_CODES = frozenset({4004, 429})
NOT_FOUND_CODES = frozenset({101300022, 50000})
ERRORS = (
    ErrorRule(SourceAuthError, AUTH_CODES),
    ErrorRule(SourceRateLimitedError, RATE_CODES),
    ErrorRule(SourceNotFoundError, NOT_FOUND_CODES),
)
