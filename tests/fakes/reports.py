"""The slice of ``AppService`` that ``ReportService`` uses: a database, a clock, settings
and the audit log (a hand-written fake, so reconciliation runs without a dispatcher)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.config import Settings
from app.core.reconciliation.service import ReportService
from app.core.storage.repos import Database
from tests.fakes.clock import FakeClock


@dataclass
class StubService:
    """The slice of AppService that ReportService uses (a hand-written fake)."""

    db: Database
    clock: FakeClock = field(default_factory=FakeClock)
    settings: Settings = field(default_factory=Settings)

    async def audit(self, actor: str, action: str, detail: dict[str, object]) -> None:
        await self.db.run(self.db.audit, self.clock.now(), actor, action, detail)

    def reports(self) -> ReportService:
        """A ReportService over this fake, wired the way ``build_core`` wires it."""
        return ReportService(self.db, settings=lambda: self.settings, audit=self.audit)
