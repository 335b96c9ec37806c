"""哗啦啦 pushes: none. The public material has no push-to-delivery-partner scheme, no
callback format and no push signature (shared/sources/hualala.md §4), so every push
is refused and orders are pulled. Pure."""

from __future__ import annotations

from app.core.sources.base import PushRejected, PushRequest, PushResult
from app.core.sources.kit import reply_json

KINDS: tuple[str, ...] = ()
NO_PUSH_REPLY = reply_json({"code": "404", "message": "哗啦啦没有推送：请用拉取模式"})


def parse(kind: str, request: PushRequest) -> PushResult:
    raise PushRejected(
        f"hualala: no push scheme is known (kind {kind!r}); pull", 404, NO_PUSH_REPLY
    )
