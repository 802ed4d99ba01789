"""The migrated schemas kept for reuse on the test PostgreSQL (tests/postgres_schemas.py):
a test handed one never sees another test's rows, sequence values or name; a schema whose
structure a test changed, or that was never migrated, is dropped, never kept; a schema a
test made something in before its first open is left to it. Skipped without PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from bot.store.migrations import STATE_VERSION
from bot.store.postgres_state import VERSION_TABLE
from bot.store.state import StateStore
from tests.postgres_schemas import SchemaPool, catalog, deletion_order
from tests.state_backends import in_schema, migrated_by_the_bot, postgres_server

Admin = psycopg.Connection[tuple[object, ...]]


@pytest.fixture
def pool(postgres_admin: Admin) -> Iterator[SchemaPool]:
    """A pool of the test's own (the suite's is shared by the process's other tests)."""
    schemas = SchemaPool(postgres_admin, migrated_by_the_bot)
    yield schemas
    schemas.close()


def schemas_named(admin: Admin, *names: str) -> list[str]:
    rows = admin.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)", (list(names),))
    return sorted(str(name) for (name,) in rows)


async def opened(schema: str) -> StateStore:
    return await StateStore.connect(in_schema(postgres_server(), schema))


async def used_and_given_back(pool: SchemaPool) -> tuple[str, int]:
    """A test that migrates its schema, adds a reminder and ends: the schema's name and
    the reminder's id."""
    schema = pool.fresh()
    state = await opened(schema)
    try:
        reminder = await state.reminders.add("osdi24", 7, None, "p:xiang", 10, 0)
    finally:
        await state.close()
    pool.give_back(schema)
    return schema, reminder.id


async def test_a_schema_handed_in_has_no_rows_of_the_test_before_and_counts_ids_anew(
    pool: SchemaPool, postgres_admin: Admin
):
    first, first_id = await used_and_given_back(pool)
    assert pool.kept == 1
    assert schemas_named(postgres_admin, first) == []  # renamed at once: the name is gone
    schema = pool.fresh()
    assert pool.hand_in(schema)
    state = await opened(schema)
    try:
        assert await state.version() == STATE_VERSION
        assert await state.reminders.find("osdi24") == []
        again = await state.reminders.add("osdi24", 7, None, "p:xiang", 10, 0)
        assert again.id == first_id  # the sequence starts where a new schema's does
    finally:
        await state.close()
    assert catalog(postgres_admin, schema) == pool.reference().catalog
    assert postgres_admin.execute(f"SELECT version FROM {schema}.{VERSION_TABLE}").fetchall() == [
        (STATE_VERSION,)
    ]
    pool.give_back(schema)


CHANGES = [
    "CREATE TABLE {schema}.extra (n int)",
    "ALTER TABLE {schema}.reminders DROP COLUMN failure",
    "CREATE INDEX extra ON {schema}.reminders (created_ts)",
    "ALTER TABLE {schema}.reminders ALTER COLUMN item_ref SET DEFAULT 'x'",
    "REVOKE ALL ON {schema}.reminders FROM PUBLIC",
    "GRANT SELECT ON {schema}.reminders TO PUBLIC",
    "CREATE SEQUENCE {schema}.extra",
    "CREATE VIEW {schema}.extra AS SELECT 1 AS n",
    "CREATE FUNCTION {schema}.extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",
]

# One change for each way the cheap look at a kept schema sees one (Probe).
CHANGES_LOOKED_AT = [
    "CREATE TABLE {schema}.extra (n int)",  # rows more, and new
    "ALTER TABLE {schema}.reminders DROP COLUMN failure",  # as many rows, one written
    "GRANT SELECT ON {schema}.reminders TO PUBLIC",  # as many rows, one written
    "DROP INDEX {schema}.reminders_by_user",  # rows fewer, none written
    "GRANT USAGE ON SCHEMA {schema} TO PUBLIC",  # the schema's row (rewritten at hand-in)
]


@pytest.mark.parametrize("change", CHANGES)
async def test_a_schema_whose_structure_a_test_changed_is_dropped_not_kept(
    pool: SchemaPool, postgres_admin: Admin, change: str
):
    schema = pool.fresh()
    await (await opened(schema)).close()
    postgres_admin.execute(change.format(schema=schema))
    pool.give_back(schema)
    assert pool.kept == 0
    assert schemas_named(postgres_admin, schema) == []


@pytest.mark.parametrize("change", CHANGES_LOOKED_AT)
async def test_a_kept_schema_whose_structure_its_test_changed_is_dropped_not_kept(
    pool: SchemaPool, postgres_admin: Admin, change: str
):
    """Handed back, a kept schema gets the cheap look first (tests/postgres_schemas.py,
    Probe): whatever the test changed, it is dropped all the same."""
    await used_and_given_back(pool)
    schema = pool.fresh()
    assert pool.hand_in(schema)
    postgres_admin.execute(change.format(schema=schema))
    pool.give_back(schema)
    assert pool.kept == 0
    assert schemas_named(postgres_admin, schema) == []


async def test_a_kept_schema_its_test_left_as_it_was_is_kept_without_reading_its_catalog(
    pool: SchemaPool, postgres_admin: Admin, monkeypatch: pytest.MonkeyPatch
):
    """The cheap look suffices for a kept schema whose test only opened the state and
    wrote rows: its whole catalog (~40 ms a test under load) is not read again."""
    await used_and_given_back(pool)
    schema = pool.fresh()
    assert pool.hand_in(schema)
    state = await opened(schema)
    try:
        await state.reminders.add("osdi24", 7, None, "p:xiang", 10, 0)
    finally:
        await state.close()
    pool.reference()  # made already: its catalog was read then

    def unread(admin: Admin, schema: str) -> list[tuple[str, ...]]:
        raise AssertionError(f"the catalog of {schema} was read")

    monkeypatch.setattr("tests.postgres_schemas.catalog", unread)
    pool.give_back(schema)
    assert pool.kept == 1
    monkeypatch.undo()
    again = pool.fresh()
    assert pool.hand_in(again)  # and it is handed in as the reference's alike, emptied
    assert catalog(postgres_admin, again) == pool.reference().catalog
    assert postgres_admin.execute(f"SELECT count(*) FROM {again}.reminders").fetchall() == [(0,)]
    pool.give_back(again)


def test_a_schema_never_migrated_is_dropped(pool: SchemaPool, postgres_admin: Admin):
    schema = pool.fresh()
    pool.give_back(schema)
    assert pool.kept == 0
    assert schemas_named(postgres_admin, schema) == []


async def test_a_schema_a_test_made_something_in_is_left_to_it(
    pool: SchemaPool, postgres_admin: Admin
):
    await used_and_given_back(pool)
    schema = pool.fresh()
    postgres_admin.execute(f"CREATE TABLE {schema}.accounts (id int)")
    assert not pool.hand_in(schema)
    assert pool.kept == 1
    found = postgres_admin.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
    ).fetchall()
    assert found == [("accounts",)]
    pool.give_back(schema)


async def test_a_schema_is_handed_in_once_at_most(pool: SchemaPool):
    await used_and_given_back(pool)
    await used_and_given_back(pool)
    schema = pool.fresh()
    assert pool.hand_in(schema)
    assert not pool.hand_in(schema)  # a second open finds what the first left
    assert pool.kept == 1
    pool.give_back(schema)


def test_referring_tables_are_emptied_before_the_tables_they_refer_to():
    order = deletion_order(["a", "b", "c", "d"], [("b", "a"), ("c", "b"), ("d", "d"), ("c", "a")])
    assert order.index("c") < order.index("b") < order.index("a")
    assert "d" in order
    with pytest.raises(ValueError, match="cycle"):
        deletion_order(["a", "b"], [("a", "b"), ("b", "a")])
