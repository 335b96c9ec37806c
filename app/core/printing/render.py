"""Layout ops -> a Pillow image (preview, PDF, OS printers), headless and Qt-free.

The image follows the printer's own grid at 203 dpi: 12 px per half-width column
(576 px = 48 columns on 80 mm, 384 px = 32 on 58 mm), a hanzi in two cells, ``size n``
scaling cells and line height, QR modules of ``size`` dots. Characters are placed cell by
cell, so what lines up on the preview lines up on paper.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from app.core.printing.layout import COLUMNS, QR, Cut, Feed, Op, Text, char_width, text_width

log = logging.getLogger(__name__)

CELL = 12  # px per half-width column
LINE = 30  # px per text line at size 1
FONT_PX = 24
MARGIN = 16
DPI = 203
_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
)


def _bundled_fonts() -> list[str]:
    from app.core.printing.templates import bundled_dir

    d = bundled_dir().parent / "fonts"
    return sorted(str(p) for p in d.glob("*.tt[cf]")) if d.is_dir() else []


def _fc_match(family: str) -> str | None:
    exe = shutil.which("fc-match")
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", family], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def _covers_hanzi(path: str) -> bool:
    try:
        font = ImageFont.truetype(path, FONT_PX)
    except OSError:
        return False
    box = font.getbbox("中")
    return box[2] - box[0] > FONT_PX // 2


@lru_cache(maxsize=1)
def font_path() -> str | None:
    """A CJK font: fontconfig's WenQuanYi Micro Hei, a bundled font, or an OS font."""
    tried = [_fc_match("WenQuanYi Micro Hei"), _fc_match(":lang=zh"), *_bundled_fonts()]
    for path in [*tried, *_CANDIDATES]:
        if path and Path(path).is_file() and _covers_hanzi(path):
            return path
    log.info("no CJK font found; the preview will show boxes for hanzi")
    return None


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path()
    if path:
        return ImageFont.truetype(path, FONT_PX * size)
    return ImageFont.load_default(FONT_PX * size)


def _qr_image(data: str, size: int) -> Image.Image:
    qr = qrcode.QRCode(border=0, box_size=size, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image()
    assert isinstance(image, Image.Image)  # qrcode is untyped
    return image.convert("L")


def _height(ops: list[Op]) -> int:
    h = 0
    for op in ops:
        if isinstance(op, Text):
            h += LINE * op.size
        elif isinstance(op, QR):
            h += _qr_image(op.data, op.size).height + LINE // 2
        elif isinstance(op, Feed):
            h += LINE * op.lines
        elif isinstance(op, Cut):
            h += LINE
    return h


def _draw_text(draw: ImageDraw.ImageDraw, op: Text, y: int, width_px: int) -> None:
    cell = CELL * op.size
    line_px = text_width(op.text) * cell
    x = MARGIN + {"center": (width_px - line_px) // 2, "right": width_px - line_px}.get(op.align, 0)
    font = _font(op.size)
    for ch in op.text:
        w = char_width(ch) * cell
        if ch != " ":
            draw.text(
                (x + w / 2, y + LINE * op.size / 2),
                ch,
                font=font,
                fill=0,
                anchor="mm",
                stroke_width=1 if op.bold else 0,
                stroke_fill=0,
            )
        x += w


def _draw_cut(draw: ImageDraw.ImageDraw, y: int, width_px: int) -> None:
    mid = y + LINE // 2
    for x in range(0, width_px + 2 * MARGIN, 12):
        draw.line((x, mid, x + 6, mid), fill=160, width=1)


def render(ops: list[Op], width_mm: int) -> Image.Image:
    """A grayscale ticket image (white paper, black print), ``MARGIN`` px on each side."""
    width_px = COLUMNS[width_mm] * CELL
    img = Image.new("L", (width_px + 2 * MARGIN, _height(ops) + 2 * MARGIN), 255)
    draw = ImageDraw.Draw(img)
    y = MARGIN
    for op in ops:
        if isinstance(op, Text):
            _draw_text(draw, op, y, width_px)
            y += LINE * op.size
        elif isinstance(op, QR):
            q = _qr_image(op.data, op.size)
            img.paste(q, (MARGIN + (width_px - q.width) // 2, y))
            y += q.height + LINE // 2
        elif isinstance(op, Feed):
            y += LINE * op.lines
        elif isinstance(op, Cut):
            _draw_cut(draw, y, width_px)
            y += LINE
    return img


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def save_pdf(img: Image.Image, path: Path) -> Path:
    """One page, the size of the ticket at 203 dpi (80 mm roll width)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img.convert("RGB").save(path, "PDF", resolution=DPI)
    return path
