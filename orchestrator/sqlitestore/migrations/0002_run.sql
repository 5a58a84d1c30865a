-- What `escalator vim --state` keeps beside the Manager's sessions, so
-- that a VIM restarted on the file carries on the same run: its event
-- trace (the verdict covers the whole upgrade, and the simulated world is
-- rebuilt from it) and a few named documents (what the run was started
-- from, the VNFMs' subscriptions).

CREATE TABLE events (
    seq INTEGER PRIMARY KEY,                   -- escalator.Event.Seq, from 1, without a gap
    doc TEXT NOT NULL CHECK (json_valid(doc))  -- the event as one NDJSON line
) STRICT;

CREATE TABLE documents (
    name TEXT PRIMARY KEY,
    doc  TEXT NOT NULL CHECK (json_valid(doc))
) STRICT;
