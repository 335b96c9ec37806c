"""Reports view: charts by carrier and by business day (QtCharts).

Self-contained: ``ReportsView(source)`` where ``source(date_from, date_to)`` returns a
summary (``app.core.reconciliation.summary.Summary``) or an awaitable of one, normally
``AppService.summary``. One metric at a time (cost, orders, mean minutes to
acceptance / delivery, cancel rate, failovers): a bar per carrier on the left, bars per
day grouped by carrier on the right, and the period's totals on top.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QValueAxis,
)
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.clock import LOCAL_TZ
from app.core.money import fmt_yuan
from app.ui.bridge import spawn
from app.ui.labels import carrier_facts

SummarySource = Callable[[dt.date, dt.date], Any]

# one colour per carrier, stable across charts (the core's carrier facts)
COLOURS = {cid: f.colour for cid, f in carrier_facts().items()}


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    zh: str
    unit: str
    value: Callable[[Any], float]


METRICS: tuple[Metric, ...] = (
    Metric("cost", "净配送成本", "元", lambda s: s.net_cost_fen / 100),
    Metric("orders", "订单数", "单", lambda s: float(s.orders)),
    Metric("accept", "平均接单时长", "分钟", lambda s: s.accept_mean_min or 0.0),
    Metric("deliver", "平均送达时长", "分钟", lambda s: s.deliver_mean_min or 0.0),
    Metric("cancel_rate", "取消率", "%", lambda s: s.cancel_rate * 100),
    Metric("failovers", "转单次数", "次", lambda s: float(s.failovers)),
)


def carrier_name(carrier: str) -> str:
    facts = carrier_facts().get(carrier)
    return facts.name_zh if facts is not None else carrier


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class ReportsView(QWidget):
    """Date range + metric pickers over two charts. ``await refresh()`` reloads."""

    def __init__(self, source: SummarySource, parent: QWidget | None = None, *,
                 today: dt.date | None = None, days: int = 7) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("reportsView")
        self.source = source
        self.summary: Any = None
        today = today or dt.datetime.now(LOCAL_TZ).date()
        self.date_from = self._date_edit(today - dt.timedelta(days=days - 1))
        self.date_to = self._date_edit(today)
        self.metric_combo = QComboBox()
        for m in METRICS:
            self.metric_combo.addItem(f"{m.zh}（{m.unit}）", m.key)
        self.metric_combo.currentIndexChanged.connect(self._redraw)
        self.refresh_button = QPushButton("刷新")
        self.refresh_button.clicked.connect(lambda: spawn(self.refresh(), "报表刷新"))
        self.totals = QLabel("—")
        self.totals.setObjectName("reportsTotals")
        self.carrier_chart = self._chart_view()
        self.day_chart = self._chart_view()
        self._layout()

    def _date_edit(self, d: dt.date) -> QDateEdit:
        e = QDateEdit(_qdate(d))
        e.setCalendarPopup(True)
        e.setDisplayFormat("yyyy-MM-dd")
        return e

    def _chart_view(self) -> QChartView:
        v = QChartView(QChart())
        v.setRenderHint(QPainter.RenderHint.Antialiasing)
        v.setMinimumSize(360, 280)
        return v

    def _layout(self) -> None:
        bar = QHBoxLayout()
        for w in (QLabel("从"), self.date_from, QLabel("至"), self.date_to,
                  QLabel("指标"), self.metric_combo, self.refresh_button):  # fmt: skip
            bar.addWidget(w)
        bar.addStretch(1)
        charts = QHBoxLayout()
        charts.addWidget(self.carrier_chart, 1)
        charts.addWidget(self.day_chart, 1)
        root = QVBoxLayout(self)
        root.addLayout(bar)
        root.addWidget(self.totals)
        root.addLayout(charts, 1)

    # ------------------------------------------------------------------ data
    def range(self) -> tuple[dt.date, dt.date]:
        a, b = _pydate(self.date_from.date()), _pydate(self.date_to.date())
        return (a, b) if a <= b else (b, a)

    async def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        try:
            result = self.source(*self.range())
            if inspect.isawaitable(result):
                result = await result
            self.set_summary(result)
        finally:
            self.refresh_button.setEnabled(True)

    def set_summary(self, summary: Any) -> None:
        self.summary = summary
        self._redraw()

    def current_metric(self) -> Metric:
        key = self.metric_combo.currentData()
        return next(m for m in METRICS if m.key == key)

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        s, m = self.summary, self.current_metric()
        if s is None:
            return
        t = s.total
        self.totals.setText(
            f"订单 {t.orders}　呼叫 {t.attempts}　送达 {t.delivered}　"
            f"净成本 {fmt_yuan(t.net_cost_fen)}　取消率 {t.cancel_rate:.1%}　转单 {t.failovers}"
        )
        self._by_carrier(s, m)
        self._by_day(s, m)

    def _by_carrier(self, s: Any, m: Metric) -> None:
        series = QBarSeries()
        bs = QBarSet(m.zh)
        for row in s.carriers:
            bs.append(m.value(row))
        series.append(bs)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsInsideEnd)
        series.setLabelsPrecision(5)
        self._install(self.carrier_chart, f"按平台：{m.zh}（{m.unit}）", series,
                      [carrier_name(r.key) for r in s.carriers], legend=False)  # fmt: skip

    def _by_day(self, s: Any, m: Metric) -> None:
        days = [r.key for r in s.days]
        carriers = sorted({c for (_, c) in s.day_carrier})
        series = QBarSeries()
        for c in carriers:
            bs = QBarSet(carrier_name(c))
            if c in COLOURS:
                bs.setColor(COLOURS[c])
            for d in days:
                row = s.day_carrier.get((d, c))
                bs.append(m.value(row) if row is not None else 0.0)
            series.append(bs)
        self._install(self.day_chart, f"按日：{m.zh}（{m.unit}）", series,
                      [d[5:] for d in days], legend=True)  # fmt: skip

    def _install(self, view: QChartView, title: str, series: QBarSeries, cats: list[str],
                 *, legend: bool) -> None:  # fmt: skip
        chart = QChart()
        chart.setTitle(title)
        chart.addSeries(series)
        x = QBarCategoryAxis()
        x.append(cats or ["—"])
        chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(x)
        y = QValueAxis()
        top = max((v for bs in series.barSets() for v in _values(bs)), default=0.0)
        y.setRange(0, top * 1.15 if top > 0 else 1)
        y.applyNiceNumbers()
        y.setLabelFormat("%.1f" if top < 10 else "%.0f")
        chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(y)
        chart.legend().setVisible(legend)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        old = view.chart()
        view.setChart(chart)
        if old is not None:
            old.deleteLater()


def _values(bs: QBarSet) -> list[float]:
    return [bs.at(i) for i in range(bs.count())]
