"""Alerts: raise, repeat until acknowledged, then quiet; audio fails quietly (INFO)."""

from __future__ import annotations

import logging

from app.core.config import AlertSettings
from app.ui.alerts import Alert, AlertCenter, SoundPlayer
from app.ui.banners import AlertBar


class _Recorder(SoundPlayer):
    def __init__(self) -> None:
        super().__init__()
        self._disabled = True  # record only


def test_raise_and_acknowledge(qtbot):
    settings = AlertSettings(repeat_s=1, voice=False)
    player = _Recorder()
    center = AlertCenter(lambda: settings, player)
    bar = AlertBar()
    qtbot.addWidget(bar)
    counts = []
    center.unread_changed.connect(counts.append)
    center.unread_changed.connect(lambda _n: bar.show_alerts(list(center.unacked.values())))
    center.raise_alert(Alert(1, "new_order", "新订单 #A1", "info"))
    center.raise_alert(Alert(1, "new_order", "duplicate is ignored", "info"))
    center.raise_alert(Alert(2, "no_rider", "#A2 长时间无骑手接单"))
    assert center.unread == 2 and counts == [1, 2]
    assert player.played == ["new_order", "attention"]
    assert not bar.isHidden() and "2" in bar.label.text()
    qtbot.waitUntil(lambda: len(player.played) >= 3, timeout=3000)  # repeats
    assert player.played[2] == "attention"  # the most urgent sound repeats
    assert center.acknowledge() == 2
    assert center.unread == 0 and bar.isHidden()
    n = len(player.played)
    qtbot.wait(1300)
    assert len(player.played) == n  # quiet after acknowledge


def test_delivered_plays_once_and_does_not_nag(qtbot):
    settings = AlertSettings(repeat_s=1, voice=True)
    player = _Recorder()
    center = AlertCenter(lambda: settings, player)
    center.raise_alert(Alert(3, "delivered", "#A3 已送达", "info"))
    assert center.unread == 0
    qtbot.waitUntil(lambda: "voice_delivered" in player.played, timeout=2000)
    assert player.played == ["delivered", "voice_delivered"]


def test_cleared_by_core_event(qtbot):
    center = AlertCenter(lambda: AlertSettings(voice=False), _Recorder())
    center.raise_alert(Alert(5, "stale", "轨迹长时间未更新"))
    center.clear(5, "stale")
    assert center.unread == 0


def test_no_audio_device_is_quiet(qtbot, caplog):
    player = SoundPlayer()
    with caplog.at_level(logging.INFO):
        player.play("new_order")
        player.play("attention")
    assert player.played == ["new_order", "attention"]
    assert all(r.levelno < logging.WARNING for r in caplog.records)
