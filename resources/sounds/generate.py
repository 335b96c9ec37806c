"""Regenerate the alert tones (16 kHz mono 16-bit WAV). Voice clips were made with
``espeak-ng -v cmn -s 150 -w voice_new_order.wav "您有新的订单"`` (and 有订单需要处理 /
订单已送达), resampled to 16 kHz."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16000
HERE = Path(__file__).parent


def tone(seq: list[tuple[float, float, float]], name: str) -> None:
    frames = bytearray()
    for freq, dur, vol in seq:
        n = int(RATE * dur)
        for i in range(n):
            env = min(1.0, i / 160, (n - i) / 400)  # click-free attack/release
            v = 0.0 if freq == 0 else vol * env * math.sin(2 * math.pi * freq * i / RATE)
            frames += struct.pack("<h", int(v * 32767))
    with wave.open(str(HERE / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))


if __name__ == "__main__":
    tone([(880, 0.12, 0.6), (0, 0.05, 0), (1320, 0.18, 0.6)], "new_order.wav")  # ding-dong
    tone([(660, 0.15, 0.7), (0, 0.06, 0), (660, 0.15, 0.7), (0, 0.06, 0), (440, 0.3, 0.7)],
         "attention.wav")  # fmt: skip
    tone([(1046, 0.1, 0.5), (1318, 0.1, 0.5), (1568, 0.2, 0.5)], "delivered.wav")  # arpeggio
    # a platform order (美团外卖 / 饿了么): two quick highs and a long higher one
    tone([(988, 0.09, 0.6), (0, 0.04, 0), (988, 0.09, 0.6), (0, 0.04, 0), (1480, 0.28, 0.6)],
         "source_order.wav")  # fmt: skip
