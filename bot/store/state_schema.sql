-- confbot state: what people asked for and what was delivered. Unlike the program
-- database this is never rebuilt; it is migrated in place (see bot/store/state.py), and
-- items are referred to by their stable program keys ('p:lazarev', 's:memory-management'),
-- never by program row ids, so reloading the program keeps every reminder attached.

-- migration 1
CREATE TABLE reminders (
    id              INTEGER PRIMARY KEY,
    conference      TEXT NOT NULL,
    user_id         INTEGER NOT NULL,
    guild_id        INTEGER,
    item_ref        TEXT NOT NULL,
    minutes_before  INTEGER NOT NULL,
    created_ts      INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'done', 'failed', 'cancelled')),
    failure         TEXT,
    failure_told    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conference, user_id, item_ref)
);

CREATE TABLE announcements (
    guild_id         INTEGER PRIMARY KEY,
    conference       TEXT NOT NULL,
    channel_id       INTEGER NOT NULL,
    minutes_before   INTEGER NOT NULL,
    per_talk         INTEGER NOT NULL DEFAULT 0,
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT,
    updated_ts       INTEGER NOT NULL
);

-- The ledger: one row per delivery, with its due time and state. 'sending' is written
-- before the send and 'sent' after, so a crash between the two leaves a row that is
-- marked 'lost' at the next start instead of being sent twice.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('reminder', 'slot', 'talk')),
    owner       INTEGER NOT NULL,
    item_ref    TEXT NOT NULL,
    target      INTEGER NOT NULL,
    due_ts      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'lost',
                                 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_ts  INTEGER NOT NULL,
    detail      TEXT,
    UNIQUE (kind, owner, item_ref)
);

CREATE INDEX deliveries_by_due ON deliveries (state, due_ts);
CREATE INDEX reminders_by_user ON reminders (user_id, status);

-- migration 2
-- Discord scheduled events published per guild, one per session, so that publishing
-- again updates them instead of creating duplicates.
CREATE TABLE scheduled_events (
    guild_id     INTEGER NOT NULL,
    conference   TEXT NOT NULL,
    session_key  TEXT NOT NULL,
    event_id     INTEGER NOT NULL,
    updated_ts   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, conference, session_key)
);

-- migration 3
-- Each /remind arms a reminder anew (even one already delivered or failed): `arming`
-- counts those rounds, and the ledger keys deliveries by round, so arming again plans a
-- new delivery instead of finding the old one already 'sent'.
ALTER TABLE reminders ADD COLUMN arming INTEGER NOT NULL DEFAULT 0;

CREATE TABLE deliveries_by_arming (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('reminder', 'slot', 'talk')),
    owner       INTEGER NOT NULL,
    item_ref    TEXT NOT NULL,
    arming      INTEGER NOT NULL DEFAULT 0,
    target      INTEGER NOT NULL,
    due_ts      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'lost',
                                 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_ts  INTEGER NOT NULL,
    detail      TEXT,
    UNIQUE (kind, owner, item_ref, arming)
);
INSERT INTO deliveries_by_arming (id, kind, owner, item_ref, arming, target, due_ts, state,
                                  attempts, updated_ts, detail)
    SELECT id, kind, owner, item_ref, 0, target, due_ts, state, attempts, updated_ts, detail
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_by_arming RENAME TO deliveries;
CREATE INDEX deliveries_by_due ON deliveries (state, due_ts);

-- migration 4
-- Conference day: a room's talks announced in its own channel, a live stream per room set
-- by the server's organisers, and a Q&A thread per talk in a forum channel; and the live
-- program's changes. Room posts, threads and change notices are new delivery kinds, so the
-- ledger is rebuilt with them allowed (SQLite cannot change a CHECK in place).
CREATE TABLE room_channels (
    guild_id         INTEGER NOT NULL,
    conference       TEXT NOT NULL,
    room             TEXT NOT NULL,
    channel_id       INTEGER NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT,
    updated_ts       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, conference, room)
);

CREATE TABLE streams (
    guild_id    INTEGER NOT NULL,
    conference  TEXT NOT NULL,
    room        TEXT NOT NULL,
    url         TEXT NOT NULL,
    updated_ts  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, conference, room)
);

CREATE TABLE qa_forums (
    guild_id         INTEGER PRIMARY KEY,
    conference       TEXT NOT NULL,
    forum_id         INTEGER NOT NULL,
    minutes_before   INTEGER NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT,
    updated_ts       INTEGER NOT NULL
);

-- One row per thread opened, so a moved talk's thread is edited and a cancelled one's
-- closed; `signature` is what the thread's first message says (title, time, room).
CREATE TABLE qa_threads (
    guild_id    INTEGER NOT NULL,
    conference  TEXT NOT NULL,
    item_ref    TEXT NOT NULL,
    forum_id    INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL UNIQUE,
    message_id  INTEGER NOT NULL,
    signature   TEXT NOT NULL,
    closed      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, conference, item_ref)
);

-- The live program: each new version applied while the bot runs, and what it changed
-- (by stable key), for the notices it sends and /changes. Times are Unix seconds.
CREATE TABLE program_syncs (
    id          INTEGER PRIMARY KEY,
    conference  TEXT NOT NULL,
    applied_ts  INTEGER NOT NULL
);

CREATE TABLE program_changes (
    sync_id    INTEGER NOT NULL REFERENCES program_syncs(id),
    item_ref   TEXT NOT NULL,
    session_refs TEXT NOT NULL,  -- the sessions it was and is in, space-separated refs
    title      TEXT NOT NULL,
    kinds      TEXT NOT NULL,  -- space-separated: added cancelled moved retitled people
    old_start  INTEGER,
    old_end    INTEGER,
    old_room   TEXT,
    new_start  INTEGER,
    new_end    INTEGER,
    new_room   TEXT,
    PRIMARY KEY (sync_id, item_ref)
);

-- Every distinct version of a program the bot served, its files zipped, so any two can be
-- compared later (python -m bot versions, python -m bot diff).
CREATE TABLE program_versions (
    id           INTEGER PRIMARY KEY,
    conference   TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    label        TEXT,  -- the source's own version string, where it has one
    loaded_ts    INTEGER NOT NULL,
    archive      BLOB NOT NULL,
    UNIQUE (conference, fingerprint)
);

CREATE TABLE deliveries_with_rooms (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL
                CHECK (kind IN ('reminder', 'slot', 'talk', 'room', 'thread', 'close', 'notice',
                                'update')),
    owner       INTEGER NOT NULL,
    item_ref    TEXT NOT NULL,
    arming      INTEGER NOT NULL DEFAULT 0,
    target      INTEGER NOT NULL,
    due_ts      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'lost',
                                 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_ts  INTEGER NOT NULL,
    detail      TEXT,
    UNIQUE (kind, owner, item_ref, arming)
);
INSERT INTO deliveries_with_rooms SELECT * FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_with_rooms RENAME TO deliveries;
CREATE INDEX deliveries_by_due ON deliveries (state, due_ts);

-- migration 5
-- The order in which versions were served (a version served again, after a revert, comes
-- last again): at start the bot compares what it serves with the last version served, so
-- a change made while it was down, or applied just before a kill -9, is told once.
ALTER TABLE program_versions ADD COLUMN served INTEGER NOT NULL DEFAULT 0;
UPDATE program_versions SET served = id;

-- migration 6
-- Servers that asked for the conference's events: Discord holds at most 100 upcoming events
-- per server, so the rest are published as earlier ones end, for as long as this says so.
CREATE TABLE event_windows (
    guild_id    INTEGER NOT NULL,
    conference  TEXT NOT NULL,
    PRIMARY KEY (guild_id, conference)
);

-- migration 7
-- Several conferences share one ledger, each with its own scheduler: every delivery names
-- its conference, and a scheduler plans, takes and recovers only its own (two programs may
-- use the same item keys, and a plan that cancelled what it does not list would cancel the
-- other conference's). Rows from before belong to the one conference the bot served then:
-- they keep '' until that conference's scheduler adopts them at start.
CREATE TABLE deliveries_by_conference (
    id          INTEGER PRIMARY KEY,
    conference  TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL
                CHECK (kind IN ('reminder', 'slot', 'talk', 'room', 'thread', 'close', 'notice',
                                'update')),
    owner       INTEGER NOT NULL,
    item_ref    TEXT NOT NULL,
    arming      INTEGER NOT NULL DEFAULT 0,
    target      INTEGER NOT NULL,
    due_ts      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'lost',
                                 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_ts  INTEGER NOT NULL,
    detail      TEXT,
    UNIQUE (conference, kind, owner, item_ref, arming)
);
INSERT INTO deliveries_by_conference (id, kind, owner, item_ref, arming, target, due_ts, state,
                                      attempts, updated_ts, detail)
    SELECT id, kind, owner, item_ref, arming, target, due_ts, state, attempts, updated_ts, detail
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_by_conference RENAME TO deliveries;
CREATE INDEX deliveries_by_due ON deliveries (conference, state, due_ts);

-- migration 8
-- One bot, several conferences. Which of them a server offers and which it answers by
-- default (no rows: every conference the operator configured, the first by default), the
-- one a person picked with /conference use, and the sources servers added from Discord
-- (followed like the operator's, and started again with the bot).
CREATE TABLE server_conferences (
    guild_id    INTEGER NOT NULL,
    conference  TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    added_ts    INTEGER NOT NULL,
    PRIMARY KEY (guild_id, conference)
);

CREATE TABLE person_conferences (
    user_id     INTEGER PRIMARY KEY,
    conference  TEXT NOT NULL
);

CREATE TABLE added_sources (
    conference  TEXT PRIMARY KEY,
    url         TEXT NOT NULL UNIQUE,
    guild_id    INTEGER NOT NULL,
    added_ts    INTEGER NOT NULL
);

-- migration 9
-- Announcements per server and conference: a server that follows two conferences can
-- announce each in its own channel (it was one row per server).
CREATE TABLE announcements_by_conference (
    guild_id         INTEGER NOT NULL,
    conference       TEXT NOT NULL,
    channel_id       INTEGER NOT NULL,
    minutes_before   INTEGER NOT NULL,
    per_talk         INTEGER NOT NULL DEFAULT 0,
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT,
    updated_ts       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, conference)
);
INSERT INTO announcements_by_conference SELECT guild_id, conference, channel_id, minutes_before,
    per_talk, enabled, disabled_reason, updated_ts FROM announcements;
DROP TABLE announcements;
ALTER TABLE announcements_by_conference RENAME TO announcements;

-- migration 10
-- Who left and who joined a talk whose speakers changed, by name (a JSON list each), so
-- a notice can say who; NULL in changes kept before, which still read as "speakers
-- changed". And a correction: a line in a room's channel when the talk on there moves
-- or is delayed, a delivery kind of its own.
ALTER TABLE program_changes ADD COLUMN people_left TEXT;
ALTER TABLE program_changes ADD COLUMN people_joined TEXT;
CREATE TABLE deliveries_with_corrections (
    id          INTEGER PRIMARY KEY,
    conference  TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL
                CHECK (kind IN ('reminder', 'slot', 'talk', 'room', 'thread', 'close', 'notice',
                                'update', 'correction')),
    owner       INTEGER NOT NULL,
    item_ref    TEXT NOT NULL,
    arming      INTEGER NOT NULL DEFAULT 0,
    target      INTEGER NOT NULL,
    due_ts      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'lost',
                                 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_ts  INTEGER NOT NULL,
    detail      TEXT,
    UNIQUE (conference, kind, owner, item_ref, arming)
);
INSERT INTO deliveries_with_corrections SELECT id, conference, kind, owner, item_ref, arming,
    target, due_ts, state, attempts, updated_ts, detail FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_with_corrections RENAME TO deliveries;
CREATE INDEX deliveries_by_due ON deliveries (conference, state, due_ts);

-- migration 11
-- Q&A threads for some rooms or tracks only (/qa channel rooms: tracks:): the program's
-- names, one per line; empty for every talk.
ALTER TABLE qa_forums ADD COLUMN rooms TEXT NOT NULL DEFAULT '';
ALTER TABLE qa_forums ADD COLUMN tracks TEXT NOT NULL DEFAULT '';

-- migration 12
-- Delivery kinds are checked where they are defined (DeliveryKind, one module each in
-- bot/delivery/kinds), not in the table: SQLite cannot change a CHECK in place, so each
-- new kind rebuilt the whole ledger (migration 10, for corrections). States stay checked:
-- they are the ledger's own.
CREATE TABLE deliveries_of_any_kind (
    id          INTEGER PRIMARY KEY,
    conference  TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    owner       INTEGER NOT NULL,
    item_ref    TEXT NOT NULL,
    arming      INTEGER NOT NULL DEFAULT 0,
    target      INTEGER NOT NULL,
    due_ts      INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'lost',
                                 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    updated_ts  INTEGER NOT NULL,
    detail      TEXT,
    UNIQUE (conference, kind, owner, item_ref, arming)
);
INSERT INTO deliveries_of_any_kind SELECT id, conference, kind, owner, item_ref, arming,
    target, due_ts, state, attempts, updated_ts, detail FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_of_any_kind RENAME TO deliveries;
CREATE INDEX deliveries_by_due ON deliveries (conference, state, due_ts);

-- migration 13
-- How many of a delivery's messages went out (a slot's post of several): one that fails
-- midway is retried from the first message not sent, not settled failed with the rest lost.
ALTER TABLE deliveries ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;

-- migration 14
-- The order in which a version's changes were kept (how a notice and /changes list them):
-- a column of its own, where it was SQLite's rowid, which PostgreSQL rows do not have.
-- Changes kept before take their rowid, which kept that order.
ALTER TABLE program_changes ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
-- on sqlite: UPDATE program_changes SET ordinal = rowid;

-- migration 15
-- Claims that survive a cluster of processes on one state: a delivery names the process
-- that holds it (reserved for its next batch, or being sent) and until when (a lease it
-- renews while it holds the row). Recovery takes only expired leases, so a process
-- starting no longer marks another's send in flight lost. NULL: nobody holds it (rows
-- from before, and every row once settled or let go; claimed_by then names the last
-- holder). The new index serves renewing and recovering what is held; reserving a batch
-- reads deliveries_by_due (conference, state, due_ts), as fetching one did.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until INTEGER;
CREATE INDEX deliveries_held ON deliveries (conference, lease_until)
    WHERE lease_until IS NOT NULL;

-- migration 16
-- The processes of a cluster on a PostgreSQL state, for `python -m bot status`: each
-- writes its row every few seconds (a heartbeat), with its slice of Discord's shards and
-- the conferences it follows (their sources: it leads them). A row not written for a few
-- heartbeats (`every_s` apart) is a process gone. A process that stops deletes its own.
CREATE TABLE cluster_members (
    process     TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    shard_ids   TEXT NOT NULL,
    shard_count INTEGER NOT NULL,
    leads       TEXT NOT NULL DEFAULT '[]',
    every_s     INTEGER NOT NULL,
    started_ts  INTEGER NOT NULL,
    seen_ts     INTEGER NOT NULL
);

-- migration 17
-- Tickets (pretix, issue 25): which products give which roles in a server (variation 0:
-- every variation), where a server's registrations are reported, and the registrations
-- themselves, holding only what de-duplication and refunds need: the member, a keyed hash
-- of the ticket's pseudonymous id (never the id, a name, an e-mail or an order code), the
-- roles given and when. The hash key, unless the operator sets CONFBOT_PRETIX_HASH_KEY.
-- How far the refund check got: the modified_since of the sweep under way, the moment
-- that sweep began (the next one's modified_since), and the page it goes on from.
CREATE TABLE ticket_roles (
    conference    TEXT NOT NULL,
    guild_id      INTEGER NOT NULL,
    item_id       INTEGER NOT NULL,
    variation_id  INTEGER NOT NULL DEFAULT 0,
    role_id       INTEGER NOT NULL,
    updated_ts    INTEGER NOT NULL,
    PRIMARY KEY (conference, guild_id, item_id, variation_id, role_id)
);

CREATE TABLE ticket_log_channels (
    guild_id    INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL,
    updated_ts  INTEGER NOT NULL
);

CREATE TABLE ticket_registrations (
    id             INTEGER PRIMARY KEY,
    conference     TEXT NOT NULL,
    guild_id       INTEGER NOT NULL,
    member_id      INTEGER NOT NULL,
    ticket_hash    TEXT NOT NULL,
    roles          TEXT NOT NULL DEFAULT '',
    registered_ts  INTEGER NOT NULL,
    state          TEXT NOT NULL DEFAULT 'active'
                   CHECK (state IN ('active', 'revoking', 'revoked', 'failed')),
    revoked_ts     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conference, guild_id, ticket_hash)
);
CREATE INDEX ticket_registrations_by_hash ON ticket_registrations (conference, ticket_hash);
CREATE INDEX ticket_registrations_by_member ON ticket_registrations (guild_id, member_id);

CREATE TABLE ticket_hash_key (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    hash_key  TEXT NOT NULL
);

CREATE TABLE ticket_refund_checks (
    conference  TEXT PRIMARY KEY,
    since       TEXT NOT NULL,
    sweep_from  TEXT,
    next_page   INTEGER NOT NULL DEFAULT 1,
    checked_ts  INTEGER NOT NULL
);

-- migration 18
-- The ticket log channel (issue 25): the organiser who set it (told once if posting there
-- fails), and why reports stopped when it was deleted or closed to the bot (NULL while
-- reporting; /tickets log sets it again).
ALTER TABLE ticket_log_channels ADD COLUMN set_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ticket_log_channels ADD COLUMN off_reason TEXT;

-- migration 19
-- Ticket role mappings (issue 25): the organiser who set each (0: before this was kept),
-- told when its role is deleted in Discord and the mapping goes with it (unless the
-- server has a log channel); and the mappings by role, which that removal looks up.
ALTER TABLE ticket_roles ADD COLUMN set_by INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ticket_roles_by_role ON ticket_roles (guild_id, role_id);

-- migration 20
-- Each program's source (its address, or the operator's program path, as configured) and
-- the version served from it last, so a process on an empty disk starts from that version
-- (its files are that version's archive in program_versions) with no network and no local
-- file; for an address, also what its server said of that version (ETag, Last-Modified),
-- sent back in the next check. Written in the same transaction as the version it names.
CREATE TABLE program_sources (
    source         TEXT PRIMARY KEY,
    conference     TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    kept_ts        INTEGER NOT NULL
);

-- migration 21
-- The language of a server's channel posts (issue 26), as an organiser set it with
-- /announce language (a Language value: en, de, fr); a server without a row posts in its
-- own language as Discord tells it (the server's guild_locale).
CREATE TABLE server_languages (
    guild_id    INTEGER PRIMARY KEY,
    language    TEXT NOT NULL,
    set_by      INTEGER NOT NULL,
    updated_ts  INTEGER NOT NULL
);
-- And the language of a reminder's DM: its reader's when they asked for it (NULL: asked
-- before this was kept, or in a language without a catalog: English).
ALTER TABLE reminders ADD COLUMN language TEXT;

-- migration 22
-- Tickets in their readers' languages (issue 26): the language a member registered in
-- (the refund DM's), and the one an organiser used when setting a mapping or the log
-- channel (theirs when told that its role was deleted or the channel broke). A Language
-- value (en, de, fr) and nothing else; NULL: kept before this was, read as English for a
-- member and as the server's language for an organiser.
ALTER TABLE ticket_registrations ADD COLUMN language TEXT;
ALTER TABLE ticket_roles ADD COLUMN language TEXT;
ALTER TABLE ticket_log_channels ADD COLUMN language TEXT;
