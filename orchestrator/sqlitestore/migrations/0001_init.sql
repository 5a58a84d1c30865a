-- The first schema of the orchestrator's state file: one row per upgrade
-- session, and below it the rows of its nodes, the notifications it sent
-- and the replies it accepted. Every document is the JSON that
-- orchestrator.EncodeCommit makes, so that this store and the in-memory
-- one hold the same bytes.
--
-- The application ID marks the file as an escalator state file, so that
-- another SQLite file named by mistake (the run history, say) is refused
-- instead of being taken for one and migrated.

PRAGMA application_id = 1163084627; -- 0x45534353, "ESCS"

CREATE TABLE sessions (
    id     TEXT PRIMARY KEY,
    seq    INTEGER NOT NULL UNIQUE,                  -- creation order, from 1
    spec   TEXT NOT NULL CHECK (json_valid(spec)),   -- orchestrator.SessionSpec, written once
    header TEXT NOT NULL CHECK (json_valid(header))  -- orchestrator.SessionHeader, rewritten by each commit
) STRICT;

CREATE TABLE nodes (
    session TEXT NOT NULL REFERENCES sessions (id),
    node    TEXT NOT NULL,
    seq     INTEGER NOT NULL,                        -- the order the session first wrote its nodes, from 1
    doc     TEXT NOT NULL CHECK (json_valid(doc)),   -- orchestrator.NodeRecord, rewritten on each change
    PRIMARY KEY (session, node),
    UNIQUE (session, seq)
) STRICT;

-- A notification's id is not unique here: the in-memory store keeps what
-- it is given, in order, and this one keeps the same.
CREATE TABLE notes (
    session TEXT NOT NULL REFERENCES sessions (id),
    seq     INTEGER NOT NULL,                        -- commit order within the session, from 1
    id      TEXT NOT NULL,
    doc     TEXT NOT NULL CHECK (json_valid(doc)),   -- orchestrator.Notification
    PRIMARY KEY (session, seq)
) STRICT;

CREATE INDEX notes_id ON notes (session, id);

CREATE TABLE replies (
    session TEXT NOT NULL REFERENCES sessions (id),
    seq     INTEGER NOT NULL,                        -- commit order within the session, from 1
    doc     TEXT NOT NULL CHECK (json_valid(doc)),   -- orchestrator.Reply
    PRIMARY KEY (session, seq)
) STRICT;
