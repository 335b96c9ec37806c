"""DoorDash in the UI: its fees in the store's currency, the English labels of the new
[store] fields (issue 18, the international edition)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.domain import Quote

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _quote(carrier: str, fee: int, currency: str | None) -> Quote:
    raw = {"currency": currency} if currency else {}
    return Quote(carrier, fee, 0, NOW, True, NOW + timedelta(minutes=5), raw=raw)


def test_quote_table_shows_doordash_in_dollars_in_english(qtbot, qapp):
    from app.ui.detail.quotes import QuoteTable
    from app.ui.i18n import install_translators, remove_translators

    ts = install_translators(qapp, "en")
    try:
        table = QuoteTable(lambda: NOW, currency=lambda: "USD")
        qtbot.addWidget(table)
        table.set_quotes([_quote("doordash", 975, "USD"), _quote("dada", 1200, None)])
        rows = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(2)]
        header = table.horizontalHeaderItem(1).text()
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
    assert rows == [("DoorDash Drive", "$9.75"), ("Dada", "$12.00")]
    assert header != "运费"  # the English catalogue answered


def test_quote_table_keeps_yuan_for_a_store_in_china(qtbot):
    from app.ui.detail.quotes import QuoteTable

    table = QuoteTable(lambda: NOW)
    qtbot.addWidget(table)
    table.set_quotes([_quote("dada", 1200, None)])
    assert table.item(0, 1).text() == "¥12.00"


def test_store_currency_and_country_labels_in_both_languages(qapp):
    from app.ui.i18n import install_translators, remove_translators
    from app.ui.settings.labels import field_label

    assert field_label("store", "currency").startswith("币种")
    ts = install_translators(qapp, "en")
    try:
        en = field_label("store", "currency"), field_label("store", "country")
    finally:
        remove_translators(qapp, ts)
        install_translators(qapp, "zh_CN")
    assert en == ("Currency (ISO 4217, e.g. CNY, USD)", "Country/region (ISO 3166, e.g. CN, US)")


def test_board_fee_column_in_the_store_currency(qtbot):
    from app.core.board import Lane
    from app.ui.board.model import COLUMNS, BoardModel
    from tests.ui.factories import T0, make_row

    m = BoardModel(now=lambda: T0, currency="USD")
    m.set_rows([make_row(7, Lane.DELIVERING)])
    fee = m.index(0, COLUMNS.index("fee")).data()
    assert fee == "$9.00"
