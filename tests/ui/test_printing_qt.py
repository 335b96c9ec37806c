"""The GUI side of printing: the QtPrintSupport ``system`` transport (to a PDF file here)
and the ``TicketPreview`` widget."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PIL import Image

from tests.fakes.printer import build_env, dark_pixels
from tests.helpers import wait_until

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
async def test_system_transport_prints_from_the_worker_thread(tmp_path, qapp):
    from app.ui import printing_qt

    out = tmp_path / "system.pdf"

    def to_pdf(printer, ticket, *, copies, job_id):
        printing_qt.print_image(ticket.image, width_mm=printer.width, output_pdf=str(out))

    env = build_env(tmp_path, [{"name": "os", "kind": "system"}], on_new_order=False)
    ps = env.svc.printing = env.make_printing()
    printing_qt.register(env.svc)
    assert ps.transports["system"] is printing_qt.system_transport
    ps.register_transport("system", to_pdf)  # same path, but into a file
    await ps.start()
    try:
        await ps.print_order(env.order_id)
        await ps.queue.idle()
    finally:
        await ps.stop()
    assert (await ps.jobs_for_order(env.order_id))[0].state == "done"
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(out), str(tmp_path / "p")], check=True)
    with Image.open(next(tmp_path.glob("p*.png"))) as page:
        assert 300 <= page.width <= 330  # 80 mm at 100 dpi
        assert dark_pixels(page) > 2000


async def test_ticket_preview_widget(tmp_path, qtbot):
    from app.ui.print_preview import TicketPreview

    env = build_env(tmp_path, [{"name": "bar", "kind": "dummy"}], on_new_order=False)
    env.svc.printing = env.make_printing()
    w = TicketPreview(env.svc)
    qtbot.addWidget(w)
    assert {"standard", "compact", "label"} <= {
        w.template_box.itemData(i) for i in range(w.template_box.count())
    }
    assert w.template == "standard"
    await w.show_order(env.order_id)
    assert w.image.pixmap().width() == 576 + 32
    w.width_box.setCurrentIndex(w.width_box.findData(58))
    await wait_until(lambda: w.image.pixmap().width() == 384 + 32)


async def test_gui_start_plugs_in_the_system_printer(tmp_path, qapp):
    """Defect: ``register()`` was called only from this file, so a ``kind="system"``
    printer failed with "no transport for 'system'" in the real app."""
    from app.core.sandbox.engine import SandboxEngine
    from app.core.secrets import MemorySecretStore
    from app.ui import printing_qt
    from app.ui.app import start_core
    from tests.helpers import make_settings

    settings = make_settings(
        tmp_path,
        printing={"printers": [{"name": "os", "kind": "system"}], "on_new_order": False},
        rehearsal={"sample_orders_every_s": 0},
    )
    core = await start_core(
        settings, secrets=MemorySecretStore(), sandbox_engine=SandboxEngine(speed=0)
    )
    try:
        assert core.printing.transports["system"] is printing_qt.system_transport
    finally:
        await core.stop()
