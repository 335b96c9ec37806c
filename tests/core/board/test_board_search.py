"""The board search's trigram index (migration 0006) finds exactly what the scan finds:
the same ids and lane counts over a varied data set for generated needles (1-2
characters still scan), it follows inserts, updates and deletes through its triggers,
and the migration builds it on a database that already has orders."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from app.core.board import Lane
from app.core.domain import Address, Customer, OrderState
from app.core.storage import board_repo, search_index
from app.core.storage import tables as t
from app.core.storage.board_repo import LaneTimes
from app.core.storage.db import alembic_config, make_engine, migrate
from app.core.storage.repos import Database
from tests.helpers import sample_order

NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)
TIMES = LaneTimes(NOW)

# pieces of real-looking order text: Chinese, mixed case, digits, LIKE wildcards, quotes
# (FTS5's string quote), FTS5 operators, spaces and a character outside the BMP
_WORDS = [
    "张三", "李四四", "王", "上海市黄浦区西藏中路268号", "南京东路", "Apt 5B", "ROOM 12a",
    "13812345678", "139 0000 1111", "少辣", "不要香菜", '说"快点"', "100%_辣", "a_b%c",
    "AND", "OR NOT", "NEAR(x y)", "*", "^起", "Ünïcödé", "ß", "🍜面", "A12", "b7", "",
]  # fmt: skip
_word = st.sampled_from(_WORDS)
_order = st.tuples(_word, _word, _word, _word, st.integers(0, 999))


def _db(tmp_path) -> Database:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return Database(engine)


def _add(db: Database, n: int, name: str, phone: str, addr: str, note: str, pickup: int) -> int:
    o = sample_order(
        f"S{n:05d}",
        customer=Customer(name, phone, Address(addr or "无", 31.2, 121.4)),
        note=note,
        pickup_no=f"A{pickup}",
    )
    (res,) = db.insert_orders([(o, f"h{n}", "pos")], NOW - timedelta(minutes=n))
    assert res.order.id is not None
    return res.order.id


def _ids(db: Database, search: str, *, indexed: bool) -> list[int]:
    with db.engine.connect() as c:
        clause = board_repo._search_clause(search, "sqlite", indexed)
        return sorted(c.execute(select(t.orders.c.id).where(clause)).scalars())


@pytest.fixture(scope="module")
def varied(tmp_path_factory) -> tuple[Database, dict[int, str]]:
    """~400 orders from the word list (every combination shape, deterministic)."""
    db = _db(tmp_path_factory.mktemp("search"))
    texts: dict[int, str] = {}
    combos = itertools.islice(itertools.product(_WORDS, repeat=4), 0, None, 997)
    for n, (name, phone, addr, note) in enumerate(combos):
        oid = _add(db, n, name, phone, addr, note, n % 50)
        texts[oid] = board_repo.search_text(db.get_order(oid))
    return db, texts


def _needles() -> st.SearchStrategy[str]:
    """Substrings of the data (any case), and arbitrary text, 1-6 characters."""
    corpus = " ".join(_WORDS) + " s00012 a7 测试"
    sub = st.tuples(st.integers(0, len(corpus) - 1), st.integers(1, 6)).map(
        lambda p: corpus[p[0] : p[0] + p[1]]
    )
    return st.one_of(sub, sub.map(str.upper), st.text(min_size=1, max_size=6)).filter(
        lambda s: s.strip() != ""
    )


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(needle=_needles())
def test_index_finds_exactly_what_the_scan_finds(varied, needle):
    db, texts = varied
    want = sorted(oid for oid, text in texts.items() if needle.lower() in text)
    assert _ids(db, needle, indexed=False) == want
    assert _ids(db, needle, indexed=True) == want
    # the board's own calls (they find the index themselves): same rows and counts
    page, _ = board_repo.page_orders(db.engine, TIMES, since=None, search=needle, limit=1000)
    assert sorted(o.id for o in page) == want
    counts = board_repo.lane_counts(db.engine, TIMES, since=None, search=needle)
    assert sum(counts.values()) == len(want)


def test_the_index_is_used_for_three_characters_and_more(varied):
    db, _ = varied
    with db.engine.connect() as c:
        assert search_index.present(c)
    assert "MATCH" in str(board_repo._search_clause("西藏中", "sqlite", True))
    assert "MATCH" not in str(board_repo._search_clause("西藏", "sqlite", True))
    assert "MATCH" not in str(board_repo._search_clause("西藏\x00中", "sqlite", True))
    assert _ids(db, "西藏\x00中", indexed=True) == []  # NUL ends an FTS5 string: scanned
    assert _ids(db, "西藏", indexed=True) == _ids(db, "西藏中路", indexed=True) != []


def test_the_index_follows_inserts_updates_and_deletes(tmp_path):
    db = _db(tmp_path)
    a = _add(db, 1, "张三", "13812345678", "西藏中路", "少辣", 1)
    b = _add(db, 2, "李四", "13900001111", "南京东路", "", 2)
    assert _ids(db, "西藏中", indexed=True) == [a]
    with db.engine.begin() as c:  # a writer that changes the searchable text
        c.execute(update(t.orders).where(t.orders.c.id == b).values(search_text="西藏中路 新"))
    assert _ids(db, "西藏中", indexed=True) == [a, b]
    assert _ids(db, "南京东", indexed=True) == []
    db.set_order_state(a, OrderState.CANCELLED, NOW)  # other columns: the index is untouched
    assert _ids(db, "西藏中", indexed=True) == [a, b]
    with db.engine.begin() as c:
        c.execute(delete(t.order_events).where(t.order_events.c.order_id == a))
        c.execute(delete(t.orders).where(t.orders.c.id == a))
    assert _ids(db, "西藏中", indexed=True) == [b]
    assert board_repo.lane_counts(db.engine, TIMES, since=None, search="西藏中")[Lane.NEW] == 1


def test_migration_builds_the_index_over_existing_orders(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    command.upgrade(alembic_config(engine), "0005")
    db = Database(engine)
    with engine.connect() as c:
        assert not search_index.present(c)
    old = [_add(db, n, "张三", f"1381234{n:04d}", "西藏中路", "老单", n) for n in range(30)]
    assert _ids(db, "1381234001", indexed=False) == old[10:20]
    command.upgrade(alembic_config(engine), "head")
    with engine.connect() as c:
        assert search_index.present(c)
    assert _ids(db, "1381234001", indexed=True) == old[10:20]
    assert _ids(db, "老单", indexed=True) == old
    new = _add(db, 99, "王五", "13812340010", "西藏中路", "", 1)  # after: the triggers
    assert _ids(db, "1381234001", indexed=True) == [*old[10:20], new]
    command.downgrade(alembic_config(engine), "0005")  # and back, and up again
    with engine.connect() as c:
        assert not search_index.present(c)
    assert _ids(db, "1381234001", indexed=False) == [*old[10:20], new]
    command.upgrade(alembic_config(engine), "head")
    assert _ids(db, "1381234001", indexed=True) == [*old[10:20], new]
