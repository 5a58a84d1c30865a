package history

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/internal/sqlitedb"
	"github.com/escalator-testbed/escalator/reports"
	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// DefaultPath is where `escalator run` keeps its history unless told
// otherwise, relative to the working folder.
const DefaultPath = ".escalator/history.db"

// BusyTimeout is how long a connection waits for another process's write
// lock before it gives up with "database is locked".
const BusyTimeout = 10 * time.Second

// Store is a run history in one SQLite file. Its methods are safe for
// concurrent use; writes go through a single connection, reads through a
// small pool of read-only ones that see the last committed state (WAL).
type Store struct {
	path  string
	w     *sql.DB // the one writer connection
	r     *sql.DB // readers
	parse Parser
}

// Parser reads a scenario file's bytes as the loader does (load.Bytes).
// The history stores the file a result's scenario came from, when it
// still loads as that scenario, and rebuilds the scenario from it; the
// command hands the loader over, so that the history (and what imports
// it) needs no YAML.
type Parser func(path string, data []byte) (*spec.Scenario, error)

// DSN returns the go-sqlite3 data source name of the writer connection
// Open makes for path: the busy timeout first (the driver applies it
// before anything else), foreign keys, and transactions that take the
// write lock when they begin (BEGIN IMMEDIATE), so two writers queue up at
// BEGIN instead of failing at their first write. It leaves the journal
// mode alone: Open switches the file to WAL itself, waiting for its turn
// (see useWAL), which the driver's _journal_mode cannot do.
func DSN(path string) string {
	return uri(path) + fmt.Sprintf("?_busy_timeout=%d&_foreign_keys=on&_txlock=immediate", BusyTimeout.Milliseconds())
}

// readerDSN is the readers' data source name: no journal-mode switch (WAL
// is a property of the file, set by the writer), deferred transactions,
// and query_only so that nothing writes through them.
func readerDSN(path string) string {
	return uri(path) + fmt.Sprintf("?_busy_timeout=%d&_foreign_keys=on&_txlock=deferred&_query_only=on", BusyTimeout.Milliseconds())
}

// uri makes a SQLite file: URI of an absolute path.
func uri(path string) string { return sqlitedb.URI(path) }

// Open opens the history at path, creating it and its parent folder when
// they do not exist, and brings its schema up to date (see migrate). A
// history written by a newer escalator, with a schema this one does not
// know, is refused with an EINVALID error. parse reads scenario files
// (see Parser).
func Open(path string, parse Parser) (*Store, error) {
	if parse == nil {
		return nil, escalator.Errorf(escalator.EINTERNAL, "the history needs the scenario loader")
	}
	if path == "" {
		return nil, escalator.Errorf(escalator.EINVALID, "no path for the history database")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "history database %s: %v", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, escalator.Errorf(escalator.EINVALID, "history database %s: %v", path, err)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, escalator.Errorf(escalator.EINTERNAL, "history: %v", err)
	}
	w, err := sql.Open("sqlite3", DSN(abs))
	if err != nil {
		return nil, openError(path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	ctx := context.Background()
	if err := useWAL(ctx, w, path); err != nil {
		_ = w.Close()
		return nil, err
	}
	if err := migrate(ctx, w, path, ms); err != nil {
		_ = w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite3", readerDSN(abs))
	if err != nil {
		_ = w.Close()
		return nil, openError(path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &Store{path: path, w: w, r: r, parse: parse}, nil
}

// useWAL switches the file to write-ahead logging, so that readers never
// block the writer, waiting up to BusyTimeout for its turn (sqlitedb.UseWAL
// says why the busy timeout alone does not cover it).
func useWAL(ctx context.Context, db *sql.DB, dbPath string) error {
	return sqlitedb.UseWAL(ctx, db, kind, dbPath, BusyTimeout)
}

// isBusy tells whether err is SQLite's "another connection holds the lock".
func isBusy(err error) bool { return sqlitedb.IsBusy(err) }

// Path is the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close closes the database. The writer closes last, so that SQLite folds
// the write-ahead log back into the database file.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// openError turns a driver error met while opening or migrating into an
// *escalator.Error that says which file.
func openError(path string, err error) error { return sqlitedb.OpenError(kind, path, err) }

// dbError wraps an error met while reading or writing the history.
func (s *Store) dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *escalator.Error
	if errors.As(err, &e) {
		return err
	}
	code := escalator.EINTERNAL
	if isBusy(err) {
		code = escalator.EUNAVAILABLE
	}
	return &escalator.Error{Code: code, Op: "history", Message: fmt.Sprintf("%s (%s)", op, s.path), Err: err}
}

// timeLayout is UTC to the nanosecond at a fixed width, so it sorts as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Local(), nil
}

// Durations are stored as REAL milliseconds: readable in SQL, and exact to
// the nanosecond back for anything under 2^51 ns (26 days).
func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func dur(ms float64) time.Duration { return time.Duration(math.Round(ms * 1e6)) }

// hook, when set (tests only), is called at points of a Save: "begin"
// once the write transaction holds the lock, "result" after each scenario
// result's rows, "commit" just before the commit.
var hook func(stage, runID string, ordinal int)

// expectWire is the stored part of a scenario's expect:.
type expectWire struct {
	Outcome    string            `json:"outcome,omitempty"`
	Violations []string          `json:"violations"`
	Thresholds map[string]string `json:"thresholds,omitempty"`
}

// violationWire is a check's violation as stored.
type violationWire struct {
	Message string            `json:"message"`
	Events  []escalator.Event `json:"events,omitempty"`
}

// resultRows is one scenario result, encoded, ready to insert.
type resultRows struct {
	name, description, path, flow, target string
	vnfmName, vnfmBehavior                string
	file                                  *scenarioFile
	scenarioSeed, seed                    int64
	labels, expect, session               []byte
	verdict, state, reason                string
	upgrade, elapsed, wall, lost          float64
	errMsg, errCode                       sql.NullString
	conformance                           sql.NullString // JSON of the case; NULL for a plain scenario
	checks                                []checkRow
	metrics                               map[string]float64
	trace                                 []byte
	events                                int
}

type checkRow struct {
	name, status, reason string
	violations           []byte
}

// scenarioFile is a scenario file's bytes and their SHA-256.
type scenarioFile struct {
	sha256, yaml string
}

// readScenarioFile reads the file a scenario came from, as it is now; nil
// when there is none, it cannot be read, or it no longer loads as the
// scenario that ran (edited since).
func readScenarioFile(sc *spec.Scenario, parse Parser) *scenarioFile {
	if sc.Path == "" {
		return nil
	}
	data, err := os.ReadFile(sc.Path)
	if err != nil {
		return nil
	}
	if s, err := parse(sc.Path, data); err != nil || s.Name != sc.Name {
		return nil
	}
	sum := sha256.Sum256(data)
	return &scenarioFile{hex.EncodeToString(sum[:]), string(data)}
}

// encode does all the work of a Save that needs no database, so that the
// write transaction holds its lock only for the inserts.
func encode(run reports.Run, parse Parser) ([]resultRows, error) {
	out := make([]resultRows, len(run.Results))
	files := map[*spec.Scenario]*scenarioFile{}
	var zw *gzip.Writer // one compressor for every trace
	for i, r := range run.Results {
		if r == nil {
			return nil, escalator.Errorf(escalator.EINVALID, "run %s: result %d is nil", run.ID, i)
		}
		sc := r.Scenario
		if sc == nil {
			sc = &spec.Scenario{}
		}
		row := &out[i]
		row.name, row.description, row.path = sc.Name, sc.Description, sc.Path
		row.flow, row.target = sc.Upgrade.Flow, sc.Upgrade.TargetVersion
		row.vnfmName, row.vnfmBehavior = sc.VNFM.Name, sc.VNFM.Behavior
		f, ok := files[sc]
		if !ok {
			f = readScenarioFile(sc, parse)
			files[sc] = f
		}
		row.file = f
		row.scenarioSeed, row.seed = sc.Seed, r.Seed
		row.verdict, row.state, row.reason = r.Verdict, r.Session.State, r.Session.Reason
		row.upgrade, row.elapsed, row.lost = ms(r.UpgradeDuration), ms(r.Elapsed), r.Lost
		if i < len(run.Walls) {
			row.wall = ms(run.Walls[i])
		}
		if r.Err != nil {
			row.errMsg = sql.NullString{String: r.Err.Error(), Valid: true}
			row.errCode = sql.NullString{String: escalator.ErrorCode(r.Err), Valid: true}
		}
		var err error
		if row.labels, err = json.Marshal(sc.Labels); err != nil {
			return nil, err
		}
		if row.expect, err = json.Marshal(expectWire{sc.Expect.Outcome, sc.Expect.Violations, sc.Expect.Thresholds}); err != nil {
			return nil, err
		}
		if row.session, err = json.Marshal(r.Session); err != nil {
			return nil, err
		}
		if sc.Conformance != nil {
			b, err := json.Marshal(sc.Conformance)
			if err != nil {
				return nil, err
			}
			row.conformance = sql.NullString{String: string(b), Valid: true}
		}
		for _, c := range r.Checks {
			var vs []violationWire
			if c.Violations != nil {
				vs = make([]violationWire, len(c.Violations))
				for k, v := range c.Violations {
					vs[k] = violationWire{v.Message, v.Events}
				}
			}
			b, err := json.Marshal(vs)
			if err != nil {
				return nil, fmt.Errorf("check %s: %w", c.Name, err)
			}
			row.checks = append(row.checks, checkRow{c.Name, c.Status, c.Reason, b})
		}
		row.metrics = judge.Metrics(r.Events)
		if row.trace, zw, err = compress(zw, r.Events); err != nil {
			return nil, fmt.Errorf("trace of %s: %w", sc.Name, err)
		}
		row.events = len(r.Events)
	}
	return out, nil
}

// compress writes a trace as gzip-compressed NDJSON with zw, or a new
// compressor when zw is nil, and returns the compressor for the next.
func compress(zw *gzip.Writer, events []escalator.Event) ([]byte, *gzip.Writer, error) {
	var b bytes.Buffer
	if zw == nil {
		zw = gzip.NewWriter(&b)
	} else {
		zw.Reset(&b)
	}
	if err := escalator.WriteNDJSON(zw, events); err != nil {
		return nil, zw, err
	}
	if err := zw.Close(); err != nil {
		return nil, zw, err
	}
	return b.Bytes(), zw, nil
}

func decompress(blob []byte) ([]escalator.Event, error) {
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return escalator.ReadNDJSON(zr)
}

// Save stores a whole run in one transaction: after a crash the run is
// either all there or not there at all. Each result's metrics
// (judge.Metrics of its trace) are stored beside it for queries. A run
// whose ID is already in the history is refused (ECONFLICT).
func (s *Store) Save(run reports.Run) (err error) {
	if run.ID == "" {
		return escalator.Errorf(escalator.EINVALID, "a run needs an ID to be saved in the history")
	}
	if len(run.Walls) != 0 && len(run.Walls) != len(run.Results) {
		return escalator.Errorf(escalator.EINVALID, "run %s: %d wall times for %d results", run.ID, len(run.Walls), len(run.Results))
	}
	rows, err := encode(run, s.parse)
	if err != nil {
		return s.dbError("saving run "+run.ID, err)
	}
	count := map[string]int{}
	for _, r := range run.Results {
		count[r.Verdict]++
	}

	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.dbError("saving run "+run.ID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
			err = s.dbError("saving run "+run.ID, err)
		}
	}()
	if hook != nil {
		hook("begin", run.ID, -1)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO runs (id, started, wall_ms, command, version, passed, failed, xfailed, errors, not_applicable)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		run.ID, formatTime(run.Started), ms(run.Wall), run.Command, run.Version,
		count[judge.VerdictPass], count[judge.VerdictFail], count[judge.VerdictXFail], count[judge.VerdictError],
		count[judge.VerdictNotApplicable])
	if err != nil {
		var se sqlite3.Error
		if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey {
			return escalator.Errorf(escalator.ECONFLICT, "run %s is already in the history", run.ID)
		}
		return err
	}
	insFile, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO scenario_files (sha256, yaml) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer insFile.Close()
	insResult, err := tx.PrepareContext(ctx, `INSERT INTO scenario_results (run_id, ordinal, name, description, path,
		scenario_seed, seed, flow, target_version, vnfm_name, vnfm_behavior, scenario_sha256, labels, expect,
		verdict, session_state, reason, session, upgrade_ms, elapsed_ms, wall_ms, lost, error, error_code, conformance)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insResult.Close()
	insCheck, err := tx.PrepareContext(ctx, `INSERT INTO check_results (run_id, ordinal, position, name, status, reason, violations)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insCheck.Close()
	insMetric, err := tx.PrepareContext(ctx, `INSERT INTO metrics (run_id, ordinal, name, value) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insMetric.Close()
	insTrace, err := tx.PrepareContext(ctx, `INSERT INTO traces (run_id, ordinal, events, ndjson) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insTrace.Close()

	for i, r := range rows {
		var sha sql.NullString
		if r.file != nil {
			sha = sql.NullString{String: r.file.sha256, Valid: true}
			if _, err = insFile.ExecContext(ctx, r.file.sha256, r.file.yaml); err != nil {
				return err
			}
		}
		if _, err = insResult.ExecContext(ctx, run.ID, i, r.name, r.description, r.path,
			r.scenarioSeed, r.seed, r.flow, r.target, r.vnfmName, r.vnfmBehavior, sha, string(r.labels), string(r.expect),
			r.verdict, r.state, r.reason, string(r.session), r.upgrade, r.elapsed, r.wall, r.lost, r.errMsg, r.errCode, r.conformance); err != nil {
			return err
		}
		for k, c := range r.checks {
			if _, err = insCheck.ExecContext(ctx, run.ID, i, k, c.name, c.status, c.reason, string(c.violations)); err != nil {
				return err
			}
		}
		for _, name := range judge.SortedMetricNames(r.metrics) {
			v := r.metrics[name]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // SQLite has no such REAL
			}
			if _, err = insMetric.ExecContext(ctx, run.ID, i, name, v); err != nil {
				return err
			}
		}
		if _, err = insTrace.ExecContext(ctx, run.ID, i, r.events, r.trace); err != nil {
			return err
		}
		if hook != nil {
			hook("result", run.ID, i)
		}
	}
	if hook != nil {
		hook("commit", run.ID, -1)
	}
	return tx.Commit()
}

// Filter selects runs. Scenario and Verdict together select the runs
// where a scenario so named ended with that verdict.
type Filter struct {
	// Scenario keeps the runs with a result of this scenario: a name, a
	// LIKE pattern when it holds '%' ("f1-%"), or a glob when it holds '*'
	// ("f1-*").
	Scenario string
	// Verdict keeps the runs with a result of this verdict (pass, fail,
	// xfail, error, not-applicable).
	Verdict string
	// Limit caps how many runs come back; 0 returns them all.
	Limit int
}

// RunSummary is one run as a history listing shows it.
type RunSummary struct {
	ID        string
	Started   time.Time
	Wall      time.Duration
	Command   string
	Version   string
	Scenarios int // how many results the run holds
	Passed    int
	Failed    int
	XFailed   int
	Errors    int
	// NotApplicable counts the conformance cases that did not apply.
	NotApplicable int
}

// Runs lists the runs that pass the filter, newest first.
func (s *Store) Runs(f Filter) ([]RunSummary, error) {
	var (
		conds []string
		args  []any
	)
	switch {
	case f.Scenario == "":
	case strings.Contains(f.Scenario, "%"):
		conds, args = append(conds, "sr.name LIKE ?"), append(args, f.Scenario)
	case strings.Contains(f.Scenario, "*"):
		conds, args = append(conds, "sr.name GLOB ?"), append(args, f.Scenario)
	default:
		conds, args = append(conds, "sr.name = ?"), append(args, f.Scenario)
	}
	if f.Verdict != "" {
		v := strings.ToLower(f.Verdict)
		switch v {
		case judge.VerdictPass, judge.VerdictFail, judge.VerdictXFail, judge.VerdictError, judge.VerdictNotApplicable:
		default:
			return nil, escalator.Errorf(escalator.EINVALID, "unknown verdict %q (want pass, fail, xfail, error or not-applicable)", f.Verdict)
		}
		conds, args = append(conds, "sr.verdict = ?"), append(args, v)
	}
	q := `SELECT r.id, r.started, r.wall_ms, r.command, r.version,
		(SELECT count(*) FROM scenario_results c WHERE c.run_id = r.id),
		r.passed, r.failed, r.xfailed, r.errors, r.not_applicable
		FROM runs r`
	if len(conds) > 0 {
		q += ` WHERE EXISTS (SELECT 1 FROM scenario_results sr WHERE sr.run_id = r.id AND ` + strings.Join(conds, " AND ") + `)`
	}
	q += ` ORDER BY r.started DESC, r.id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.r.Query(q, args...)
	if err != nil {
		return nil, s.dbError("listing runs", err)
	}
	defer rows.Close()
	var out []RunSummary
	for rows.Next() {
		var (
			rs      RunSummary
			started string
			wall    float64
		)
		if err := rows.Scan(&rs.ID, &started, &wall, &rs.Command, &rs.Version, &rs.Scenarios,
			&rs.Passed, &rs.Failed, &rs.XFailed, &rs.Errors, &rs.NotApplicable); err != nil {
			return nil, s.dbError("listing runs", err)
		}
		if rs.Started, err = parseTime(started); err != nil {
			return nil, s.dbError("listing runs", err)
		}
		rs.Wall = dur(wall)
		out = append(out, rs)
	}
	return out, s.dbError("listing runs", rows.Err())
}

// querier is what resolve needs of a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// resolve finds the one run whose ID is ref or starts with it (case
// aside), as git finds a commit: ENOTFOUND for none, EINVALID for more
// than one. An exact ID wins over longer ones it is a prefix of.
func (s *Store) resolve(ctx context.Context, q querier, ref string) (string, error) {
	if ref == "" {
		return "", escalator.Errorf(escalator.EINVALID, "no run ID given")
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(ref)
	rows, err := q.QueryContext(ctx, `SELECT id FROM runs WHERE id LIKE ? ESCAPE '\' ORDER BY id LIMIT 6`, esc+"%")
	if err != nil {
		return "", s.dbError("finding run "+ref, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", s.dbError("finding run "+ref, err)
		}
		if strings.EqualFold(id, ref) {
			return id, nil
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", s.dbError("finding run "+ref, err)
	}
	switch len(ids) {
	case 0:
		return "", escalator.Errorf(escalator.ENOTFOUND, "no run %q in the history %s", ref, s.path)
	case 1:
		return ids[0], nil
	}
	list := strings.Join(ids[:min(len(ids), 5)], ", ")
	if len(ids) > 5 {
		list += ", …"
	}
	return "", escalator.Errorf(escalator.EINVALID, "run ID %q is ambiguous: it starts %s; give more of it", ref, list)
}

// Resolve returns the full ID of the run that ref names: the ID itself or
// a unique prefix of it.
func (s *Store) Resolve(ref string) (string, error) {
	return s.resolve(context.Background(), s.r, ref)
}

// Load rebuilds a stored run, named by its ID or a unique prefix of it,
// for the report formats: its results with their checks, sessions, errors
// and traces (Events), and each result's Scenario. That is the scenario
// file as it was when the run was saved, loaded again, when the file could
// be read then; otherwise a Scenario with what the reports read of it:
// Name, Description, Path, Labels, Seed, Upgrade.Flow and TargetVersion,
// VNFM.Name and Behavior, Expect.Outcome, Violations and Thresholds, and a
// conformance case's Conformance. Event
// fields come back as JSON decodes them (numbers as float64), as from any
// trace file; written again, a trace is byte for byte the one saved.
func (s *Store) Load(ref string) (run reports.Run, err error) {
	ctx := context.Background()
	tx, err := s.r.BeginTx(ctx, nil) // one snapshot for all the queries
	if err != nil {
		return run, s.dbError("loading run "+ref, err)
	}
	defer func() { _ = tx.Rollback() }()
	id, err := s.resolve(ctx, tx, ref)
	if err != nil {
		return run, err
	}
	defer func() { err = s.dbError("loading run "+id, err) }()
	var (
		started string
		wall    float64
	)
	if err := tx.QueryRowContext(ctx, `SELECT id, started, wall_ms, command, version FROM runs WHERE id = ?`, id).
		Scan(&run.ID, &started, &wall, &run.Command, &run.Version); err != nil {
		return run, err
	}
	if run.Started, err = parseTime(started); err != nil {
		return run, err
	}
	run.Wall = dur(wall)

	rows, err := tx.QueryContext(ctx, `SELECT s.ordinal, s.name, s.description, s.path, s.scenario_seed, s.seed, s.flow,
		s.target_version, s.vnfm_name, s.vnfm_behavior, s.labels, s.expect, s.verdict, s.session,
		s.upgrade_ms, s.elapsed_ms, s.wall_ms, s.lost, s.error, s.error_code, s.conformance, f.sha256, f.yaml, t.ndjson
		FROM scenario_results s
		LEFT JOIN traces t ON t.run_id = s.run_id AND t.ordinal = s.ordinal
		LEFT JOIN scenario_files f ON f.sha256 = s.scenario_sha256
		WHERE s.run_id = ? ORDER BY s.ordinal`, id)
	if err != nil {
		return run, err
	}
	defer rows.Close()
	parsed := map[string]*spec.Scenario{} // by file SHA-256
	for rows.Next() {
		var (
			ordinal                int
			col                    spec.Scenario // what the columns hold
			r                      = &judge.Result{}
			labels, expect, sess   string
			upgrade, elapsed, wall float64
			errMsg, errCode        sql.NullString
			conformance            sql.NullString
			sha, yaml              sql.NullString
			trace                  []byte
		)
		if err := rows.Scan(&ordinal, &col.Name, &col.Description, &col.Path, &col.Seed, &r.Seed, &col.Upgrade.Flow,
			&col.Upgrade.TargetVersion, &col.VNFM.Name, &col.VNFM.Behavior, &labels, &expect, &r.Verdict, &sess,
			&upgrade, &elapsed, &wall, &r.Lost, &errMsg, &errCode, &conformance, &sha, &yaml, &trace); err != nil {
			return run, err
		}
		if ordinal != len(run.Results) {
			return run, fmt.Errorf("result %d missing", len(run.Results))
		}
		if err := json.Unmarshal([]byte(labels), &col.Labels); err != nil {
			return run, fmt.Errorf("result %d labels: %w", ordinal, err)
		}
		var ex expectWire
		if err := json.Unmarshal([]byte(expect), &ex); err != nil {
			return run, fmt.Errorf("result %d expect: %w", ordinal, err)
		}
		col.Expect.Outcome, col.Expect.Violations, col.Expect.Thresholds = ex.Outcome, ex.Violations, ex.Thresholds
		if conformance.Valid {
			col.Conformance = &spec.ConformanceSpec{}
			if err := json.Unmarshal([]byte(conformance.String), col.Conformance); err != nil {
				return run, fmt.Errorf("result %d conformance: %w", ordinal, err)
			}
		}
		r.Scenario = scenarioOf(&col, sha, yaml, parsed, s.parse)
		var st judge.Session
		if err := json.Unmarshal([]byte(sess), &st); err != nil {
			return run, fmt.Errorf("result %d session: %w", ordinal, err)
		}
		r.Session = st
		r.UpgradeDuration, r.Elapsed = dur(upgrade), dur(elapsed)
		if errMsg.Valid {
			r.Err = &escalator.Error{Code: errCode.String, Message: errMsg.String}
		}
		if trace != nil {
			if r.Events, err = decompress(trace); err != nil {
				return run, fmt.Errorf("trace of result %d (%s): %w", ordinal, col.Name, err)
			}
		}
		run.Results = append(run.Results, r)
		run.Walls = append(run.Walls, dur(wall))
	}
	if err := rows.Err(); err != nil {
		return run, err
	}
	if err := rows.Close(); err != nil {
		return run, err
	}

	checks, err := tx.QueryContext(ctx, `SELECT ordinal, name, status, reason, violations FROM check_results
		WHERE run_id = ? ORDER BY ordinal, position`, id)
	if err != nil {
		return run, err
	}
	defer checks.Close()
	for checks.Next() {
		var (
			ordinal int
			c       judge.CheckResult
			vs      string
		)
		if err := checks.Scan(&ordinal, &c.Name, &c.Status, &c.Reason, &vs); err != nil {
			return run, err
		}
		if ordinal < 0 || ordinal >= len(run.Results) {
			return run, fmt.Errorf("check %s of a missing result %d", c.Name, ordinal)
		}
		var wire []violationWire
		if err := json.Unmarshal([]byte(vs), &wire); err != nil {
			return run, fmt.Errorf("check %s of result %d: %w", c.Name, ordinal, err)
		}
		if wire != nil {
			c.Violations = make([]judge.Violation, len(wire))
			for k, v := range wire {
				c.Violations[k] = judge.Violation{Message: v.Message, Events: v.Events}
			}
		}
		r := run.Results[ordinal]
		r.Checks = append(r.Checks, c)
	}
	return run, checks.Err()
}

// scenarioOf rebuilds a result's scenario: the stored file loaded again
// when there is one and it still loads (each file parsed once, each result
// its own copy), with the columns' values over it; the columns alone
// otherwise.
func scenarioOf(col *spec.Scenario, sha, yaml sql.NullString, parsed map[string]*spec.Scenario, parse Parser) *spec.Scenario {
	if !sha.Valid || !yaml.Valid {
		return col
	}
	full, ok := parsed[sha.String]
	if !ok {
		full, _ = parse(col.Path, []byte(yaml.String))
		parsed[sha.String] = full
	}
	if full == nil || full.Name != col.Name {
		return col
	}
	sc := *full
	sc.Name, sc.Description, sc.Path, sc.Labels, sc.Seed = col.Name, col.Description, col.Path, col.Labels, col.Seed
	sc.Upgrade.Flow, sc.Upgrade.TargetVersion = col.Upgrade.Flow, col.Upgrade.TargetVersion
	sc.VNFM.Name, sc.VNFM.Behavior = col.VNFM.Name, col.VNFM.Behavior
	sc.Expect.Outcome, sc.Expect.Violations, sc.Expect.Thresholds = col.Expect.Outcome, col.Expect.Violations, col.Expect.Thresholds
	sc.Conformance = col.Conformance
	return &sc
}

// Delete removes a run, named by its ID or a unique prefix of it, with
// everything stored under it.
func (s *Store) Delete(ref string) (err error) {
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.dbError("deleting run "+ref, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	id, err := s.resolve(ctx, tx, ref)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id); err != nil {
		return s.dbError("deleting run "+id, err)
	}
	// Scenario files no result refers to any more go too.
	if _, err := tx.ExecContext(ctx, `DELETE FROM scenario_files WHERE sha256 NOT IN
		(SELECT scenario_sha256 FROM scenario_results WHERE scenario_sha256 IS NOT NULL)`); err != nil {
		return s.dbError("deleting run "+id, err)
	}
	return s.dbError("deleting run "+id, tx.Commit())
}
