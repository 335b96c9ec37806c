"""美团外卖 order source: waimaiopen (``Connector``), or the MTOp 技术服务合作中心 variant
(``MtopConnector``) when ``options.variant = "mtop"``."""

from app.core.sources.base import SourceConnector, SourceContext
from app.core.sources.meituan.api import Connector
from app.core.sources.meituan.mtop_api import MtopConnector
from app.core.sources.meituan.rules import RULES, MtWmOptions


def make_connector(ctx: SourceContext) -> SourceConnector:
    if MtWmOptions.from_mapping(ctx.options).variant == "mtop":
        return MtopConnector(ctx)
    return Connector(ctx)


__all__ = ["RULES", "Connector", "MtopConnector", "make_connector"]
