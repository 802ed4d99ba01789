"""Migrated state schemas kept for reuse on the test PostgreSQL (see tests/state_backends.py).

A state test on PostgreSQL starts from a schema of its own. Migrating an empty schema is
tens of statements of DDL, and dropping one after is more: for most tests, whose first act
is to open the state, that was most of what they cost the server. So each pytest process
(each xdist worker) keeps the schemas its tests leave migrated, and hands one to a test
whose first act is to open its still empty schema (`SchemaPool.hand_in`): the test then
finds what a first start would have left.

A test's isolation stays total:

- rows: every table of a kept schema is emptied, then given again the rows the migrations
  put there (copied from a reference schema the bot migrated and nothing touched), and
  every sequence is set back to the reference's value;
- structure: a schema is kept only when its catalog (tables, columns and their types,
  defaults and privileges, constraints, indexes, sequences, triggers, rules, policies,
  functions, types, the schema's owner and privileges) is the reference's; any other is
  dropped, as every schema was before. A kept schema handed back is first looked at
  cheaply (`Probe`): when no row of its catalog was written since it was last found the
  reference's alike, none is gone and its owner and privileges are the reference's, it
  still is; anything else (a row written since, by the test or not) reads the whole
  catalog, as for every other schema;
- names: a kept schema is renamed at once to a name never used before, and takes the
  name of the test it is handed to: advisory locks and LISTEN channels (keyed by the
  schema's name) and the search_path of a session a test left behind never reach another.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

Admin = psycopg.Connection[tuple[object, ...]]

#: Schemas kept at once by one process; a test holds one or two.
KEPT_AT_MOST = 3
#: How long emptying a schema waits for a lock a test left held (a session it leaked in a
#: transaction) before the schema is dropped instead.
LOCK_WAIT = "10s"

# Everything in a schema a test could change, one row per object, in words, with the
# schema's own name in it replaced (see catalog). Table rowtypes follow their tables.
_CATALOG = """
WITH ns AS (SELECT oid, nspname, nspacl, nspowner FROM pg_namespace WHERE nspname = %(schema)s),
rel AS (SELECT c.* FROM pg_class c JOIN ns ON c.relnamespace = ns.oid)
SELECT 'schema', '', coalesce(nspacl::text, ''), pg_get_userbyid(nspowner), '' FROM ns
UNION ALL
SELECT 'relation', relname, relkind::text || relpersistence::text || relrowsecurity::text
       || relforcerowsecurity::text, coalesce(relacl::text, ''),
       coalesce(reloptions::text, '') || ' ' || pg_get_userbyid(relowner) FROM rel
UNION ALL
SELECT 'column', r.relname || '.' || a.attnum, a.attname || ' ' || format_type(a.atttypid,
       a.atttypmod), a.attnotnull::text || a.attidentity::text || a.attgenerated::text
       || a.attisdropped::text || a.attcollation::text || coalesce(a.attacl::text, ''),
       coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attnum > 0
UNION ALL
SELECT 'constraint', coalesce(r.relname, ''), c.conname, pg_get_constraintdef(c.oid),
       c.condeferrable::text || c.condeferred::text || c.convalidated::text
  FROM pg_constraint c JOIN ns ON c.connamespace = ns.oid LEFT JOIN rel r ON r.oid = c.conrelid
UNION ALL
SELECT 'index', r.relname, pg_get_indexdef(i.indexrelid), i.indisvalid::text, ''
  FROM pg_index i JOIN rel r ON r.oid = i.indexrelid
UNION ALL
SELECT 'sequence', r.relname, concat_ws(',', s.seqtypid::regtype, s.seqstart, s.seqincrement,
       s.seqmax, s.seqmin, s.seqcache, s.seqcycle), '', ''
  FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid
UNION ALL
SELECT 'trigger', r.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text
  FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
UNION ALL
SELECT 'rule', r.relname, w.rulename, pg_get_ruledef(w.oid), w.ev_enabled::text
  FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class
UNION ALL
SELECT 'policy', r.relname, p.polname, coalesce(pg_get_expr(p.polqual, p.polrelid), ''),
       coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
  FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
UNION ALL
SELECT 'function', p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc),
       pg_get_userbyid(p.proowner)
  FROM pg_proc p JOIN ns ON p.pronamespace = ns.oid
UNION ALL
SELECT 'type', t.typname, t.typtype::text, '', ''
  FROM pg_type t JOIN ns ON t.typnamespace = ns.oid
UNION ALL
SELECT 'statistics', s.stxname, '', '', ''
  FROM pg_statistic_ext s JOIN ns ON s.stxnamespace = ns.oid
"""

# Every row of the catalogs _CATALOG reads that belongs to the schema (a superset: every
# column of the rows, internal triggers too), by kind: how many, and how many were
# written (made, or changed: a new row version) by a transaction at or after `mark`, an
# xid8 (sixty-four bits; a row's xmin is its low thirty-two, their epoch the current
# one's: see `Probe.read`). Rows changed in place (pg_class's statistics) need no look:
# _CATALOG reads none of what those change.
_PROBE = """
WITH ns AS (SELECT oid, nspacl, nspowner FROM pg_namespace WHERE nspname = %(schema)s),
rel AS (SELECT c.oid, c.xmin FROM pg_class c JOIN ns ON c.relnamespace = ns.oid),
written AS (
  SELECT 'relation' AS kind, xmin FROM rel
  UNION ALL SELECT 'column', a.xmin FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid
   WHERE a.attnum > 0
  UNION ALL SELECT 'default', d.xmin FROM pg_attrdef d JOIN rel r ON r.oid = d.adrelid
  UNION ALL SELECT 'constraint', c.xmin FROM pg_constraint c JOIN ns ON c.connamespace = ns.oid
  UNION ALL SELECT 'index', i.xmin FROM pg_index i JOIN rel r ON r.oid = i.indexrelid
  UNION ALL SELECT 'sequence', s.xmin FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid
  UNION ALL SELECT 'trigger', t.xmin FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid
  UNION ALL SELECT 'rule', w.xmin FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class
  UNION ALL SELECT 'policy', p.xmin FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
  UNION ALL SELECT 'function', p.xmin FROM pg_proc p JOIN ns ON p.pronamespace = ns.oid
  UNION ALL SELECT 'type', t.xmin FROM pg_type t JOIN ns ON t.typnamespace = ns.oid
  UNION ALL SELECT 'statistics', s.xmin FROM pg_statistic_ext s JOIN ns ON s.stxnamespace = ns.oid
)
SELECT (SELECT coalesce(nspacl::text, '') || ' ' || pg_get_userbyid(nspowner) FROM ns),
       coalesce((SELECT string_agg(kind || ' ' || n, ', ' ORDER BY kind)
                   FROM (SELECT kind, count(*) AS n FROM written GROUP BY kind) k), ''),
       (SELECT count(*) FROM written WHERE xmin::text::bigint >= %(mark)s %% 4294967296),
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint / 4294967296,
       pg_snapshot_xmin(pg_current_snapshot())::text::bigint
"""

_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""
# (referencing table, referenced table) of every foreign key between the schema's tables.
_REFERENCES = """
SELECT r.relname, f.relname FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
  JOIN pg_class f ON f.oid = c.confrelid JOIN pg_namespace n ON n.oid = c.connamespace
 WHERE n.nspname = %s AND c.contype = 'f'
"""
_SEQUENCES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %s AND c.relkind = 'S' ORDER BY c.relname
"""
# Columns a row copy may write: not generated, not dropped, in order.
_COLUMNS = """
SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attgenerated = '' ORDER BY a.attnum
"""

Row = tuple[str, ...]


def new_name() -> str:
    """A schema name never used before (a test's, a kept one's, the reference's)."""
    return f"t_{secrets.token_hex(6)}"


def catalog(admin: Admin, schema: str) -> list[Row]:
    """Everything in `schema`, in words, sorted, its own name replaced (two schemas made
    alike compare equal): empty when the schema has nothing in it (or is gone)."""
    rows = admin.execute(_CATALOG, {"schema": schema}).fetchall()
    return sorted(tuple(str(part).replace(schema, "<schema>") for part in row) for row in rows)


@dataclass(frozen=True, slots=True)
class Probe:
    """The cheap look at a schema (_PROBE): its owner and privileges, how many rows of each
    kind its catalog has, whether any was written since the mark `since`, and the mark
    for the next look: the oldest transaction running when it looked (one older cannot
    commit a change after it, that this look, or a read of the catalog after it, missed)."""

    owner_and_privileges: str
    counts: str
    written_since: bool
    mark: int

    @classmethod
    def read(cls, admin: Admin, schema: str, since: int) -> Probe:
        row = admin.execute(_PROBE, {"schema": schema, "mark": since}).fetchone()
        assert row is not None
        ours, counts, written, epoch, mark = row
        # Another epoch (xids wrapped around since the mark, never within a test run):
        # the low thirty-two bits compare no more, so it counts as written.
        changed = int(str(written)) > 0 or int(str(epoch)) != since // 2**32
        return cls(str(ours or ""), str(counts), changed, int(str(mark)))

    def alike(self, reference: Probe) -> bool:
        """Whether the schema looked at surely still has the catalog it had at the mark,
        that catalog being the reference's (which `reference` was read from)."""
        return not self.written_since and (self.owner_and_privileges, self.counts) == (
            reference.owner_and_privileges, reference.counts)  # fmt: skip


def deletion_order(tables: Sequence[str], references: Sequence[tuple[str, str]]) -> list[str]:
    """`tables` in an order whose DELETEs no foreign key refuses: a table only once every
    other table referring to it is emptied (a table referring to itself empties at once)."""
    referrers = {table: {r for r, f in references if f == table and r != table} for table in tables}
    order: list[str] = []
    while len(order) < len(tables):
        ready = [t for t in tables if t not in order and not referrers[t] - set(order)]
        if not ready:  # a cycle of foreign keys: no order of DELETEs empties it
            left = sorted(set(tables) - set(order))
            raise ValueError(f"foreign keys refer in a cycle among {left}")
        order += ready
    return order


def _regclass(schema: str, name: str) -> sql.Literal:
    """A relation's name as setval and its kind take it: a string of the quoted name."""
    return sql.Literal(sql.Identifier(schema, name).as_string(None))


@dataclass(frozen=True, slots=True)
class Reference:
    """A schema the bot migrated and nothing else touched: what a kept schema must be."""

    schema: str
    catalog: list[Row]
    deletion_order: list[str]
    seeded: list[tuple[str, list[str]]]  # tables the migrations put rows in, their columns
    sequences: list[tuple[str, int, bool]]  # name, last_value, is_called
    probe: Probe  # its cheap look (counts, owner and privileges)

    @classmethod
    def read(cls, admin: Admin, schema: str) -> Reference:
        tables = [str(name) for (name,) in admin.execute(_TABLES, (schema,)).fetchall()]
        references = [(str(r), str(f)) for r, f in admin.execute(_REFERENCES, (schema,))]
        seeded = []
        for table in tables:
            rows = sql.SQL("SELECT EXISTS (SELECT 1 FROM {})")
            if admin.execute(rows.format(sql.Identifier(schema, table))).fetchone() == (True,):
                columns = admin.execute(_COLUMNS, (schema, table)).fetchall()
                seeded.append((table, [str(name) for (name,) in columns]))
        sequences = []
        for (name,) in admin.execute(_SEQUENCES, (schema,)).fetchall():
            query = sql.SQL("SELECT last_value, is_called FROM {}")
            row = admin.execute(query.format(sql.Identifier(schema, str(name)))).fetchone()
            assert row is not None
            sequences.append((str(name), int(str(row[0])), bool(row[1])))
        return cls(schema, catalog(admin, schema), deletion_order(tables, references), seeded,
                   sequences, Probe.read(admin, schema, 0))  # fmt: skip

    def emptying(self, schema: str) -> sql.Composed:
        """The statements that leave `schema` (made alike) with only the reference's rows
        and sequence values."""
        statements = [sql.SQL("DELETE FROM {}").format(sql.Identifier(schema, table))
                      for table in self.deletion_order]  # fmt: skip
        for table, columns in self.seeded:
            names = sql.SQL(", ").join(map(sql.Identifier, columns))
            copy = sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}")
            into, source = sql.Identifier(schema, table), sql.Identifier(self.schema, table)
            statements.append(copy.format(into, names, names, source))
        if self.sequences:
            setval = sql.SQL("setval({}, {}, {})")
            values = [
                setval.format(_regclass(schema, name), sql.Literal(value), sql.Literal(called))
                for name, value, called in self.sequences
            ]
            statements.append(sql.SQL("SELECT ") + sql.SQL(", ").join(values))
        return sql.SQL("; ").join(statements)


class SchemaPool:
    """One process's kept schemas (see the module's docstring). `migrate(schema)` is the
    bot's own first start on an empty schema: it makes the reference, once, when first
    needed."""

    def __init__(self, admin: Admin, migrate: Callable[[str], None]) -> None:
        self._admin = admin
        self._migrate = migrate
        self._reference: Reference | None = None
        self._kept: list[str] = []
        self._asked: set[str] = set()
        # A kept schema's name (and, once handed in, the test's) -> the mark taken before
        # it was last found the reference's alike (see Probe).
        self._marks: dict[str, int] = {}

    @property
    def kept(self) -> int:
        return len(self._kept)

    def fresh(self) -> str:
        """A new, empty schema: its name."""
        schema = new_name()
        self._run("CREATE SCHEMA {}", schema)
        return schema

    def hand_in(self, schema: str) -> bool:
        """Before a test's first open of `schema`: when nothing was made in it yet and a
        kept schema is at hand, that one takes its place and name (the test finds its
        state as a first start leaves it). Whether it did; asked again, never does."""
        if schema in self._asked or not self._kept:
            return False
        self._asked.add(schema)
        kept = self._kept.pop()
        try:
            # RESTRICT: refused if anything was made in it (a test's own tables, a
            # migration another connection ran): the test keeps what it made.
            self._in_one_transaction(
                self._sql("DROP SCHEMA {} RESTRICT", schema),
                self._sql("ALTER SCHEMA {} RENAME TO {}", kept, schema),
            )
        except psycopg.errors.DependentObjectsStillExist:
            self._kept.append(kept)
            return False
        self._marks[schema] = self._marks.pop(kept)
        return True

    def give_back(self, schema: str) -> None:
        """After a test: keep `schema` if it is the reference's alike (emptied, renamed),
        else drop it with everything in it."""
        self._asked.discard(schema)
        since = self._marks.pop(schema, None)
        if not self._keep(schema, since):
            self._drop(schema)

    def close(self) -> None:
        """Drop every kept schema and the reference."""
        for schema in self._kept:
            self._drop(schema)
        self._kept.clear()
        self._marks.clear()
        if self._reference is not None:
            self._drop(self._reference.schema)
            self._reference = None

    def _keep(self, schema: str, since: int | None) -> bool:
        """Empty and keep `schema` when it is the reference's alike. `since`: the mark
        taken before it was last found so (a kept schema handed in), if it was."""
        if len(self._kept) >= KEPT_AT_MOST:
            return False
        probe = Probe.read(self._admin, schema, 0 if since is None else since)
        if since is None or not probe.alike(self.reference().probe):
            found = catalog(self._admin, schema)
            if not found:  # never migrated: nothing worth keeping (nor a reason to make one)
                return False
            if found != self.reference().catalog:
                return False
        kept = new_name()
        try:
            self._in_one_transaction(
                sql.SQL(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"),
                self.reference().emptying(schema),
                self._sql("ALTER SCHEMA {} RENAME TO {}", schema, kept),
            )
        except psycopg.errors.LockNotAvailable:
            return False
        self._kept.append(kept)
        self._marks[kept] = probe.mark
        return True

    def _in_one_transaction(self, *statements: sql.Composable) -> None:
        """`statements` in one transaction, sent at once (one round trip to the server, not
        one a statement: under load each waits for the server's turn); rolled back if one
        fails, its error raised."""
        batch = sql.SQL("; ").join([sql.SQL("BEGIN"), *statements, sql.SQL("COMMIT")])
        try:
            self._admin.execute(batch)
        except psycopg.Error:
            self._admin.execute("ROLLBACK")
            raise

    def reference(self) -> Reference:
        if self._reference is None:
            schema = self.fresh()
            self._migrate(schema)
            self._reference = Reference.read(self._admin, schema)
        return self._reference

    def _drop(self, schema: str) -> None:
        self._run("DROP SCHEMA IF EXISTS {} CASCADE", schema)

    def _run(self, statement: str, *schemas: str) -> None:
        """A statement on schemas named in it (as {}), quoted."""
        self._admin.execute(self._sql(statement, *schemas))

    @staticmethod
    def _sql(statement: str, *schemas: str) -> sql.Composed:
        return sql.SQL(statement).format(*map(sql.Identifier, schemas))
