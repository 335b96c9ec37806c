"""``AppService.board_rows_for``: one batch read gives the same rows as one read per order."""

from __future__ import annotations

import pytest

from tests.core.dispatch.support import add_order
from tests.helpers import started_core

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


async def test_board_rows_for_matches_single_reads(tmp_path):
    async with started_core(tmp_path) as core:
        s = core.service
        oids = [await add_order(core) for _ in range(3)]
        await s.dispatch(oids[0])  # one with an attempt, two without
        rows = await s.board_rows_for([*oids, oids[1], 999_999])
        assert sorted(rows) == sorted(oids)  # duplicates once, a missing id absent
        for oid in oids:
            single = await s.board_row_for(oid)
            assert single is not None
            assert rows[oid].order == single.order
            assert rows[oid].attempt == single.attempt
            assert rows[oid].lane == single.lane
        assert rows[oids[0]].attempt is not None
        assert await s.board_rows_for([]) == {}
