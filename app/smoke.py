"""``jupei --smoke``: the bundle's self-test. Starts offscreen with a fresh data dir,
runs migrations, starts the POS listener and the sandboxes, takes one order from the
sample POS through dispatch to delivered, and exits 0 — or non-zero with the reason.
The core runs on its own thread (``CoreRuntime``), as in the GUI."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time


def run_smoke(args) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["JUPEI_HOME"] = tempfile.mkdtemp(prefix="jupei-smoke-")
    import qasync
    from PySide6.QtWidgets import QApplication, QLabel

    from app.core.runtime import CoreRuntime
    from app.ui.i18n import qt_catalogue_missing

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    label = QLabel("JuPei smoke")
    # the Chinese UI's dialog buttons need Qt's catalogue: a bundle that trimmed it fails
    qt_missing = qt_catalogue_missing("zh_CN")
    t0 = time.monotonic()
    runtime = CoreRuntime()
    runtime.start()
    try:
        with loop:
            reason, text = loop.run_until_complete(runtime.run(_smoke()))
        label.setText(text)  # Qt objects only on the GUI thread
    except Exception as e:  # any failure is a reason, printed, non-zero
        reason = f"{type(e).__name__}: {e}"
    finally:
        runtime.stop()
    took = time.monotonic() - t0
    reason = reason or qt_missing
    if reason:
        print(f"SMOKE FAILED after {took:.1f}s: {reason}", file=sys.stderr)
        return 1
    print(f"SMOKE OK in {took:.1f}s ({label.text()})")
    return 0


async def _smoke() -> tuple[str, str]:
    """On the core thread: ("", what was delivered) or (the reason it failed, "")."""
    from app.bootstrap import build_core
    from app.core import resources

    if gone := resources.missing():  # a wheel or bundle without its templates/sounds/icons
        return f"resources missing under {resources.resources_dir()}: {', '.join(gone)}"
    from app.core.config import Settings
    from app.core.domain import DeliveryStatus
    from app.core.pos.sim import make_order_payload, post_orders
    from app.core.secrets import MemorySecretStore

    settings = Settings(
        pos={"port": 0, "secret": "smoke-secret-0123456789"},
        rehearsal={"mode": "on", "speed": 0},
        dispatch={"mode": "manual"},
    )
    core = build_core(settings, secrets=MemorySecretStore())
    await core.start(pos=True)
    try:
        svc, listener = core.service, core.pos_listener
        payload = make_order_payload(random.Random(1), settings.store, 1)
        stats = await post_orders(
            listener.base_url + "/api/v1/orders", svc.pos_secret(), [payload], rate=0, concurrency=1
        )
        detail = await svc.order_detail_by_pos_id(payload["pos_order_id"])
        if detail is None:
            return f"order not stored (post stats: {stats})", ""
        attempt = await svc.dispatch(detail.order.id, actor="smoke")
        for _ in range(60):
            core.demo.advance(60)
            await svc.refresh(detail.order.id)
            detail = await svc.order_detail(detail.order.id)
            if detail.attempt and detail.attempt.status is DeliveryStatus.DELIVERED:
                return "", f"{attempt.carrier} delivered {payload['pos_order_id']}"
            await asyncio.sleep(0)
        return f"not delivered: {detail.attempt.status if detail.attempt else 'no attempt'}", ""
    finally:
        await core.stop()
