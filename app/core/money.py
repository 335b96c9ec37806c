"""Money is integer fen inside the core; yuan only at carrier edges and in what people read.

Conversions go through ``Decimal`` with half-up rounding. No float ever carries money:
a float that a carrier sends is turned into a Decimal through its ``repr`` (``str``),
which is the shortest string that round-trips, so 12.3 becomes Decimal("12.3").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_FEN = Decimal(100)


def to_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("bool is not money")
    if isinstance(value, (int, str)):
        return Decimal(str(value).strip() or "0")
    if isinstance(value, float):
        return Decimal(repr(value))
    if value is None:
        return Decimal(0)
    raise TypeError(f"not a money value: {value!r}")


def yuan_to_fen(value: object) -> int:
    """'12.345' yuan -> 1235 fen (half-up)."""
    return int((to_decimal(value) * _FEN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int, places: int = 2) -> Decimal:
    """1235 fen -> Decimal('12.35'); ``places=1`` for carriers that take one decimal."""
    q = Decimal(1).scaleb(-places)
    return (Decimal(int(fen)) / _FEN).quantize(q, rounding=ROUND_HALF_UP)


def yuan_str(fen: int, places: int = 2) -> str:
    return format(fen_to_yuan(fen, places), "f")


def fmt_yuan(fen: int | None) -> str:
    """For people: ``¥12.35``; ``—`` for unknown."""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    return f"{sign}¥{yuan_str(abs(fen))}"


# symbol and minor-unit places per ISO 4217 code ([store] currency); others show the code
_CURRENCIES: dict[str, tuple[str, int]] = {
    "CNY": ("¥", 2),
    "USD": ("$", 2),
    "CAD": ("CA$", 2),
    "AUD": ("A$", 2),
    "NZD": ("NZ$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "HKD": ("HK$", 2),
    "SGD": ("S$", 2),
    "JPY": ("JP¥", 0),
}


def fmt_money(minor: int | None, currency: str = "CNY") -> str:
    """For people, in the store's currency: ``¥12.35``, ``$9.75``, ``JP¥975``,
    ``CHF 9.75``; ``—`` for unknown. ``minor`` is integer minor units (fen, cents)."""
    if minor is None:
        return "—"
    code = (currency or "CNY").upper()
    symbol, places = _CURRENCIES.get(code, (code + " ", 2))
    sign = "-" if minor < 0 else ""
    amount = str(abs(minor)) if places == 0 else yuan_str(abs(minor), places)
    return f"{sign}{symbol}{amount}"
