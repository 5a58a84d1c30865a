-- The first schema of the run history: one row per `escalator run`, one per
-- scenario result in it, and below each result its checks, its metrics and
-- its trace. Everything below a run goes with it (ON DELETE CASCADE).
--
-- Times are UTC text of a fixed width ("2006-01-02T15:04:05.000000000Z"), so
-- they sort as text; durations are REAL milliseconds (exact to the
-- nanosecond for anything shorter than 26 days).

CREATE TABLE runs (
    id       TEXT PRIMARY KEY,
    started  TEXT NOT NULL,
    wall_ms  REAL NOT NULL,
    command  TEXT NOT NULL,
    version  TEXT NOT NULL,
    passed   INTEGER NOT NULL,
    failed   INTEGER NOT NULL,
    xfailed  INTEGER NOT NULL,
    errors   INTEGER NOT NULL
) STRICT;

CREATE INDEX runs_started ON runs (started);

-- The scenario files that ran, by the SHA-256 of their bytes, each kept
-- once however many results share it, so that Load gives back the whole
-- scenario as it was when it ran.
CREATE TABLE scenario_files (
    sha256 TEXT PRIMARY KEY,
    yaml   TEXT NOT NULL
) STRICT;

CREATE TABLE scenario_results (
    run_id            TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    ordinal           INTEGER NOT NULL, -- position in Run.Results, from 0
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    path              TEXT NOT NULL,
    scenario_seed     INTEGER NOT NULL, -- the seed the file names
    seed              INTEGER NOT NULL, -- the seed the run used
    flow              TEXT NOT NULL,
    target_version    TEXT NOT NULL,
    vnfm_name         TEXT NOT NULL,
    vnfm_behavior     TEXT NOT NULL,
    scenario_sha256   TEXT REFERENCES scenario_files (sha256), -- NULL when the file could not be read (or none)
    labels            TEXT NOT NULL, -- JSON object
    expect            TEXT NOT NULL, -- JSON {outcome, violations, thresholds} of the scenario's expect:
    verdict           TEXT NOT NULL,
    session_state     TEXT NOT NULL,
    reason            TEXT NOT NULL, -- the session's reason
    session           TEXT NOT NULL, -- JSON orchestrator.SessionStatus
    upgrade_ms        REAL NOT NULL,
    elapsed_ms        REAL NOT NULL,
    wall_ms           REAL NOT NULL,
    lost              REAL NOT NULL,
    error             TEXT,          -- NULL unless the verdict is error
    error_code        TEXT,
    PRIMARY KEY (run_id, ordinal)
) STRICT;

CREATE INDEX scenario_results_name ON scenario_results (name, run_id);
CREATE INDEX scenario_results_verdict ON scenario_results (verdict, run_id);
CREATE INDEX scenario_results_file ON scenario_results (scenario_sha256);

CREATE TABLE check_results (
    run_id     TEXT NOT NULL,
    ordinal    INTEGER NOT NULL,
    position   INTEGER NOT NULL, -- position in Result.Checks, from 0
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    violations TEXT NOT NULL, -- JSON array of {message, events}
    PRIMARY KEY (run_id, ordinal, position),
    FOREIGN KEY (run_id, ordinal) REFERENCES scenario_results (run_id, ordinal) ON DELETE CASCADE
) STRICT;

CREATE INDEX check_results_name ON check_results (name, status);

CREATE TABLE metrics (
    run_id  TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    name    TEXT NOT NULL,
    value   REAL NOT NULL, -- seconds for durations (scenarios.MetricIsDuration)
    PRIMARY KEY (run_id, ordinal, name),
    FOREIGN KEY (run_id, ordinal) REFERENCES scenario_results (run_id, ordinal) ON DELETE CASCADE
) STRICT;

CREATE INDEX metrics_name ON metrics (name);

CREATE TABLE traces (
    run_id  TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    events  INTEGER NOT NULL, -- how many events the trace holds
    ndjson  BLOB NOT NULL,    -- escalator.WriteNDJSON output, gzip-compressed
    PRIMARY KEY (run_id, ordinal),
    FOREIGN KEY (run_id, ordinal) REFERENCES scenario_results (run_id, ordinal) ON DELETE CASCADE
) STRICT;
