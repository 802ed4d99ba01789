"""pytest fixtures for a private PostgreSQL server (tests/postgres_server.py), kept apart
from that module because it must run with the standard library only (before CI's virtual
environment, and pytest with it, exists).

`private_postgres` gives a test a server of its own that it may stop, start and restart
(a database disappearing under the bot); tests/conftest.py makes it visible to every test.
Each starts from a copy of one cluster made for the whole test process
(`postgres_template`), not from an initdb of its own, and both are kept in memory where
the machine has room (tests/postgres_server.py, folder_parent): their durability is off,
and a disk only made the copy and the initdb wait.
It is function-scoped; a module whose tests can share one server (each leaving it
running) takes it once for the module with

    private_postgres = postgres_fixture("module")

at its top, or asks for `private_postgres_module`. Where no PostgreSQL is installed the
tests that use it skip, saying so; under CI (CI set) they fail instead, since a skip there
would pass without PostgreSQL ever running.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest

from tests.postgres_server import (
    ClusterTemplate,
    PostgresServer,
    PostgresUnavailable,
    find_bin_dir,
)

Scope = Literal["function", "module"]


def postgres_bin_or_skip() -> Path:
    """The PostgreSQL bin folder; skip the test where there is none, fail under CI."""
    try:
        return find_bin_dir()
    except PostgresUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error}: CI must run with PostgreSQL installed", pytrace=False)
        pytest.skip(f"PostgreSQL is not installed here ({error})")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[ClusterTemplate]:
    """The cluster every private server of this test process starts from a copy of."""
    with ClusterTemplate(postgres_bin_or_skip(), in_memory=True) as template:
        yield template


def postgres_fixture(scope: Scope) -> Callable[..., Iterator[PostgresServer]]:
    """A fixture giving a started private server, stopped and removed after its scope."""

    @pytest.fixture(scope=scope)
    def server(postgres_template: ClusterTemplate) -> Iterator[PostgresServer]:
        with PostgresServer(template=postgres_template, in_memory=True) as started:
            yield started

    return server


private_postgres = postgres_fixture("function")
private_postgres_module = postgres_fixture("module")
