"""What the rest of the app knows about one carrier, declared in that carrier's folder.

Each ``carriers/<id>/__init__.py`` builds one ``CarrierMeta`` from its own ``rules.py``
(rules, report colour, default bill columns) and its ``Adapter`` class; the registry
lists those objects, and config, reports, labels and bill import read them from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.core.carriers.base import CarrierAdapter, CarrierContext
from app.core.carriers.rules import CarrierRules


@dataclass(frozen=True, slots=True)
class BillColumns:
    """Default column names of the carrier's statement (``a|b`` = either header).

    Guesses until confirmed against a real statement; the user can edit the mapping."""

    carrier_order_id: str  # the carrier's waybill / order id
    origin_id: str  # OUR order id as sent to the carrier (idempotency key)
    amount: str  # what the carrier charged for the line
    unit: str = "yuan"  # "yuan" | "fen"
    date: str = ""  # optional: the line's date


@dataclass(frozen=True, slots=True)
class CarrierMeta:
    rules: CarrierRules
    adapter: Callable[[CarrierContext], CarrierAdapter]
    colour: str  # report charts, "#rrggbb"
    bill_columns: BillColumns

    @property
    def id(self) -> str:
        return self.rules.id

    def name(self, lang: str = "zh") -> str:
        return self.rules.name_zh if lang == "zh" else self.rules.name_en
