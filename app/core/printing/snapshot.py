"""Order detail -> ``TicketData``: what a ticket shows, with the phone masked and money as
fen. Also (de)serialises the snapshot stored in ``print_jobs.payload``."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING

from app.core.clock import local_str
from app.core.printing.layout import TicketData, TicketItem
from app.core.privacy import mask_phone, mask_phones_in

if TYPE_CHECKING:  # names only: the service imports printing
    from app.core.config import StoreSettings
    from app.core.service import OrderDetail

CHANNELS = {
    "pos": "门店收银",
    "meituan": "美团外卖",
    "eleme": "饿了么",
    "miniprogram": "小程序",
    "phone": "电话订单",
    "other": "其他渠道",
}


def carrier_name(carrier_id: str) -> str:
    if not carrier_id:
        return ""
    try:
        from app.core.carriers.registry import display_name

        return display_name(carrier_id)
    except Exception:  # a carrier module that fails to import must not stop printing
        return carrier_id


def ticket_data(
    detail: OrderDetail, store: StoreSettings, *, now: datetime, mark: str = ""
) -> TicketData:
    """Snapshot an ``OrderDetail`` (order + current attempt) for printing."""
    o = detail.order
    a = detail.attempt
    rider = ""
    if a is not None and a.rider.name:
        rider = " ".join(x for x in (a.rider.name, mask_phone(a.rider.phone)) if x)
    tracking = a.tracking_url if a is not None else ""
    return TicketData(
        order_id=o.id or 0,
        pos_order_id=o.pos_order_id,
        store_name=getattr(store, "name", ""),
        store_phone=getattr(store, "phone", ""),
        pickup_no=o.pickup_no,
        channel=CHANNELS.get(str(o.channel), str(o.channel)),
        time=local_str(o.created_at, "%m-%d %H:%M"),
        scheduled=local_str(o.scheduled_at, "%m-%d %H:%M") if o.scheduled_at else "",
        items=tuple(TicketItem(i.name, i.qty, i.price_fen) for i in o.items),
        total_fen=o.total_fen,
        delivery_fee_fen=o.delivery_fee_fen,
        note=mask_phones_in(o.note),  # customers type their number into notes
        customer_name=o.customer.name,
        customer_phone=mask_phone(o.customer.phone),
        address=o.customer.address.text,
        carrier=carrier_name(a.carrier) if a is not None else "",
        carrier_order_id=a.carrier_order_id if a is not None else "",
        rider=rider,
        qr_data=tracking or o.pos_order_id,
        qr_is_tracking=bool(tracking),
        mark=mark,
        printed_at=local_str(now, "%m-%d %H:%M:%S"),
    )


def dumps(d: TicketData) -> bytes:
    return json.dumps(asdict(d), ensure_ascii=False).encode("utf-8")


def loads(raw: bytes) -> TicketData:
    data = json.loads(raw.decode("utf-8"))
    data["items"] = tuple(TicketItem(**i) for i in data.get("items", ()))
    return TicketData(**data)
