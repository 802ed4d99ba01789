"""A PostgreSQL for the cluster coordination tests: the server CONFBOT_TEST_POSTGRES names
(postgresql://user:password@127.0.0.1:port/database), with a schema of the test's own
that every coordinator of the test works in, so parallel tests never share a lock or a
channel. Unset, those tests skip saying why; under CI, they fail instead."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

VARIABLE = "CONFBOT_TEST_POSTGRES"


def postgres_url() -> str:
    """The server to test against, or a skip (a failure under CI) saying what is missing."""
    url = os.environ.get(VARIABLE, "").strip()
    if url:
        return url
    if os.environ.get("CI"):
        pytest.fail(f"{VARIABLE} is not set: CI must run the cluster tests against a PostgreSQL",
                    pytrace=False)  # fmt: skip
    pytest.skip(f"{VARIABLE} is not set (a postgresql:// URL): the cluster coordination tests"
                " need a PostgreSQL server")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Postgres:
    url: str  # connects into the test's own schema
    schema: str
    admin: psycopg.AsyncConnection[tuple[object, ...]]  # for what a test does to sessions

    async def terminate(self, pid: int | None) -> None:
        """End a session as an administrator would (or a crash), waiting until it is gone
        (PostgreSQL 14+: at most 5 s)."""
        assert pid is not None
        await self.admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


async def own_schema() -> AsyncIterator[Postgres]:
    """A schema of the test's own, dropped after it (the body of the `postgres` fixtures)."""
    url = postgres_url()
    schema = f"confbot_test_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            yield Postgres(make_conninfo(url, options=f"-c search_path={schema}"), schema, admin)
        finally:
            await admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
