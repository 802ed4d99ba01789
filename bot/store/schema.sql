-- confbot program database. Rebuilt from the program files whenever they change, so it
-- holds nothing that cannot be made again: state that must survive (reminders, guild
-- settings) lives elsewhere. Everything is keyed by conference, so one database can
-- serve several conferences. Times are Unix seconds (UTC); each conference's zone is in
-- its row, and the reader turns times back into aware datetimes in that zone.
PRAGMA user_version = 4;

CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE conference (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    venue       TEXT,
    location    TEXT,
    start_date  TEXT NOT NULL,
    end_date    TEXT NOT NULL,
    extra       TEXT NOT NULL DEFAULT '{}'  -- optional fields as JSON (bot/store/extra.py)
);

CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    conference_id  INTEGER NOT NULL REFERENCES conference(id),
    key            TEXT NOT NULL,
    position       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    day            TEXT NOT NULL,
    start_ts       INTEGER NOT NULL,
    end_ts         INTEGER NOT NULL,
    time_basis     TEXT NOT NULL CHECK (time_basis IN ('published', 'derived')),
    room           TEXT,
    chairs         TEXT NOT NULL DEFAULT '[]',
    extra          TEXT NOT NULL DEFAULT '{}',
    UNIQUE (conference_id, key)
);

CREATE TABLE talks (
    id             INTEGER PRIMARY KEY,
    conference_id  INTEGER NOT NULL REFERENCES conference(id),
    key            TEXT NOT NULL,
    session_id     INTEGER NOT NULL REFERENCES sessions(id),
    position       INTEGER NOT NULL,
    title          TEXT NOT NULL,
    page           INTEGER,
    start_ts       INTEGER NOT NULL,
    end_ts         INTEGER NOT NULL,
    time_basis     TEXT NOT NULL CHECK (time_basis IN ('published', 'derived')),
    room           TEXT,
    url            TEXT,
    award          TEXT,
    -- [[person key, name as printed, affiliation], ...] in order: authors are written
    -- and read with their talk, never alone, and a row per author cost a quarter of
    -- the rebuild of a 10,000-talk program.
    authors        TEXT NOT NULL DEFAULT '[]',
    extra          TEXT NOT NULL DEFAULT '{}',
    UNIQUE (conference_id, key)
);

CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    conference_id  INTEGER NOT NULL REFERENCES conference(id),
    key            TEXT NOT NULL,
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    start_ts       INTEGER NOT NULL,
    end_ts         INTEGER NOT NULL,
    time_basis     TEXT NOT NULL CHECK (time_basis IN ('published', 'derived')),
    room           TEXT,
    speaker        TEXT,
    url            TEXT,
    UNIQUE (conference_id, key)
);

-- No secondary indexes: the bot reads a whole program into memory and answers from its
-- own indexes there (bot.search, bot.service.timeline), so nothing here is queried by
-- time or person, and each index would only slow the rebuild of a large program.
