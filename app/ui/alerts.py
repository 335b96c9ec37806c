"""Alerts: distinct sounds (+ optional zh_CN voice) for new order, needs attention and
delivered; repeating until acknowledged, then quiet. Never a blocking dialog.

A platform order (美团外卖, 饿了么) has its own chime (``source_order.wav``) and its own
words ("您有新的美团订单"): spoken through ``QTextToSpeech`` only when an engine with a
Chinese voice really works on this machine (``Speaker``), otherwise the chime and the
words in the alert bar and tray.

Audio goes through ``QSoundEffect``. With no audio device (servers, CI) playback fails
quietly: one INFO log line, never a WARNING."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from app.ui.resources import sound

log = logging.getLogger(__name__)

CATEGORY = {"new_order": "new_order", "delivered": "delivered"}  # everything else: attention
REPEATING = {"new_order", "attention"}
# chimed once, never repeated nor kept unread: the storage fault has its own red banner,
# which stays while the fault lasts (issue 19: "alerts once")
ONCE = {"storage"}


@dataclass(frozen=True)
class Alert:
    order_id: int | None
    kind: str
    message: str
    severity: str = "warning"
    sound: str = ""  # a sound of its own (platform orders); "" = the category's
    speech: str = ""  # words to speak when a TTS engine works ("您有新的美团订单")

    @property
    def category(self) -> str:
        return CATEGORY.get(self.kind, "attention")


class SoundPlayer:
    """Lazily builds one ``QSoundEffect`` per file; any failure disables audio quietly."""

    def __init__(self) -> None:
        self._effects: dict[str, object] = {}
        self._disabled = False
        self.played: list[str] = []  # for tests and the status bar

    def play(self, name: str, volume: float = 0.8) -> None:
        self.played.append(name)
        if self._disabled:
            return
        try:
            eff = self._effects.get(name) or self._make(name)
            eff.setVolume(volume)  # type: ignore[attr-defined]
            eff.play()  # type: ignore[attr-defined]
        except Exception as e:  # no QtMultimedia, no libpulse, no device
            self._disabled = True
            log.info("sound disabled: %s", e)

    def _make(self, name: str):
        from PySide6.QtMultimedia import QMediaDevices, QSoundEffect

        if not QMediaDevices.audioOutputs():
            raise RuntimeError("no audio output device")
        eff = QSoundEffect()
        eff.setSource(QUrl.fromLocalFile(str(sound(f"{name}.wav"))))
        self._effects[name] = eff
        return eff


class Speaker:
    """``QTextToSpeech`` when an engine with a Chinese voice initialises here; else
    ``available`` is False and nothing is spoken (no engine, no speech-dispatcher …)."""

    def __init__(self) -> None:
        self._tts: object | None = None
        self._tried = False
        self.spoken: list[str] = []  # for tests

    @property
    def available(self) -> bool:
        if not self._tried:
            self._tried = True
            self._tts = self._make()
        return self._tts is not None

    @staticmethod
    def _make() -> object | None:
        from PySide6.QtCore import qInstallMessageHandler

        # a listed engine whose plug-in cannot load (speechd without libspeechd) makes Qt
        # print a critical message: it is an INFO here, the chime and the words remain
        previous = qInstallMessageHandler(lambda _t, _c, msg: log.info("tts: %s", msg))
        try:
            return Speaker._first_engine()
        finally:
            qInstallMessageHandler(previous)

    @staticmethod
    def _first_engine() -> object | None:
        try:
            from PySide6.QtCore import QLocale
            from PySide6.QtTextToSpeech import QTextToSpeech

            for engine in QTextToSpeech.availableEngines():
                if engine == "mock":
                    continue  # Qt's test engine says nothing
                tts = QTextToSpeech(engine)
                if tts.state() is QTextToSpeech.State.Error:
                    continue
                zh = [v for v in tts.availableVoices() if v.language() is QLocale.Language.Chinese]
                if zh:
                    tts.setVoice(zh[0])
                    return tts
        except Exception as e:  # no QtTextToSpeech module or plug-in
            log.info("text to speech unavailable: %s", e)
        return None

    def say(self, text: str, volume: float) -> bool:
        if not self.available:
            return False
        self.spoken.append(text)
        self._tts.setVolume(volume)  # type: ignore[attr-defined]
        self._tts.say(text)  # type: ignore[attr-defined]
        return True


class AlertCenter(QObject):
    """Holds unacknowledged alerts; ``unread_changed`` drives the banner and tray badge."""

    unread_changed = Signal(int)
    alert_added = Signal(object)

    def __init__(
        self, settings_getter, player: SoundPlayer | None = None, parent=None, speaker=None
    ) -> None:
        super().__init__(parent)
        self._settings = settings_getter  # () -> AlertSettings
        self.player = player or SoundPlayer()
        self.speaker = speaker or Speaker()
        self.unacked: dict[tuple[int | None, str], Alert] = {}
        self._repeat = QTimer(self)
        self._repeat.timeout.connect(self._ring)

    @property
    def unread(self) -> int:
        return len(self.unacked)

    def raise_alert(self, alert: Alert) -> None:
        key = (alert.order_id, alert.kind)
        if key in self.unacked:
            return
        if alert.category in REPEATING and alert.kind not in ONCE:
            self.unacked[key] = alert
            self._arm()
        self._play(alert.category, alert)
        self.alert_added.emit(alert)
        self.unread_changed.emit(self.unread)

    def clear(self, order_id: int | None, kind: str | None = None) -> None:
        keys = [k for k in self.unacked if k[0] == order_id and (kind is None or k[1] == kind)]
        for k in keys:
            del self.unacked[k]
        if keys:
            self._after_change()

    def acknowledge(self, order_id: int | None = None) -> int:
        """Acknowledge one order's alerts, or all of them; returns how many."""
        keys = [k for k in self.unacked if order_id is None or k[0] == order_id]
        for k in keys:
            del self.unacked[k]
        self._after_change()
        return len(keys)

    def _after_change(self) -> None:
        if not self.unacked:
            self._repeat.stop()
        self.unread_changed.emit(self.unread)

    def _arm(self) -> None:
        s = self._settings()
        if s.repeat_s > 0 and not self._repeat.isActive():
            self._repeat.start(int(s.repeat_s * 1000))

    def _ring(self) -> None:
        if not self.unacked:
            self._repeat.stop()
            return
        cats = {a.category for a in self.unacked.values()}
        if "attention" in cats:
            self._play("attention")
            return
        own = next((a.sound for a in self.unacked.values() if a.sound), "")
        s = self._settings()
        if own and s.sound:
            self.player.play(own, s.volume)  # a platform order's chime, without the words
        else:
            self._play("new_order")

    def _play(self, category: str, alert: Alert | None = None) -> None:
        s = self._settings()
        if s.sound:
            self.player.play(alert.sound if alert and alert.sound else category, s.volume)
        if not s.voice:
            return
        if alert is not None and alert.speech:
            # its own words or none: a generic recorded clip would name the wrong thing
            QTimer.singleShot(700, lambda: self.speaker.say(alert.speech, s.volume))
            return
        QTimer.singleShot(700, lambda: self.player.play(f"voice_{category}", s.volume))
