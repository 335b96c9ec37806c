"""Phone masking, used by logs, tickets, exports and the POS API by default."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


_MASKED_MOBILE = re.compile(r"1\d{2}\*{4}\d{4}")


def mask_phone(phone: str | None) -> str:
    """'13812345678' -> '138****5678'; other numbers keep their last four digits."""
    if not phone:
        return ""
    p = phone.strip()
    if _MASKED_MOBILE.fullmatch(p):  # masked already (rows synced from a counter PC)
        return p
    digits = re.sub(r"\D", "", p)
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_phones_in(text: str) -> str:
    return _MOBILE.sub(r"\1****\2", text)


def mask_name(name: str | None) -> str:
    """'张三丰' -> '张**'; keeps the surname the rider needs."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)
