"""Preview image and PDF: the same ops, drawn on the printer's grid with a CJK font."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from PIL import Image

from app.core.printing import layout, render, templates
from tests.fakes.printer import dark_pixels, ticket


@pytest.mark.parametrize("width,px", [(58, 384), (80, 576)])
def test_preview_png_has_the_paper_width_and_ink(width, px):
    ops = layout.build(ticket(), templates.load("standard"), width)
    png = render.png_bytes(render.render(ops, width))
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    assert img.width == px + 2 * render.MARGIN
    assert dark_pixels(img) > 5000


def test_cjk_font_found():
    path = render.font_path()
    assert path is not None, "install fonts-wqy-microhei (or bundle a font)"


def test_hanzi_are_drawn_not_tofu():
    # with a real CJK font two different hanzi give different glyphs
    a = render.render([layout.Text("宫")], 58)
    b = render.render([layout.Text("米")], 58)
    assert a.tobytes() != b.tobytes()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_pdf_ticket_is_not_blank(tmp_path):
    ops = layout.build(ticket(), templates.load("standard"), 80)
    pdf = render.save_pdf(render.render(ops, 80), tmp_path / "t.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    with Image.open(pages[0]) as page:
        assert page.width > 200  # ~77 mm at 100 dpi
        assert dark_pixels(page) > 2000
