package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// The run beside the sessions: a real-time VIM keeps its event trace and a
// few documents in the same file, so that a restarted process carries on
// the same run, and writes them in the transaction of the Manager's next
// commit, so that the trace on record never lags the sessions by more
// than the events of one step.

// CommitWith is Commit, with events appended to the trace in the same
// transaction. The events must follow the last one stored, seq for seq.
func (s *Store) CommitWith(c orchestrator.Commit, events []escalator.Event) error {
	enc, err := orchestrator.EncodeCommit(c)
	if err != nil {
		return err
	}
	docs, err := encodeEvents(events)
	if err != nil {
		return err
	}
	err = s.write("commit of session "+c.ID, func(ctx context.Context, tx *sql.Tx) error {
		if err := appendEvents(ctx, tx, events, docs); err != nil {
			return err
		}
		return writeCommit(ctx, tx, c.ID, enc)
	})
	if err == nil {
		s.mu.Lock()
		s.commits++
		s.mu.Unlock()
	}
	return err
}

// AppendEvents appends events to the trace in one transaction. The events
// must follow the last one stored, seq for seq: a gap or a repeat is an
// error, and nothing is written.
func (s *Store) AppendEvents(events []escalator.Event) error {
	if len(events) == 0 {
		return nil
	}
	docs, err := encodeEvents(events)
	if err != nil {
		return err
	}
	return s.write("trace", func(ctx context.Context, tx *sql.Tx) error {
		return appendEvents(ctx, tx, events, docs)
	})
}

func encodeEvents(events []escalator.Event) ([]string, error) {
	docs := make([]string, len(events))
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, escalator.Errorf(escalator.EINTERNAL, "store: cannot encode event %d (%s): %v", e.Seq, e.Kind, err)
		}
		docs[i] = string(b)
	}
	return docs, nil
}

func appendEvents(ctx context.Context, tx *sql.Tx, events []escalator.Event, docs []string) error {
	if len(events) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&last); err != nil {
		return err
	}
	for i, e := range events {
		if e.Seq != last+1 {
			return escalator.Errorf(escalator.EINTERNAL, "store: event %d does not follow event %d, the last on record", e.Seq, last)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO events (seq, doc) VALUES (?, ?)`, e.Seq, docs[i]); err != nil {
			return err
		}
		last = e.Seq
	}
	return nil
}

// Events returns the trace on record, in order. An event that does not
// decode is an EINVALID error naming the file.
func (s *Store) Events() ([]escalator.Event, error) {
	var out []escalator.Event
	err := s.read("trace", func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT seq, doc FROM events ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var doc []byte
			if err := rows.Scan(&seq, &doc); err != nil {
				return err
			}
			var e escalator.Event
			if err := json.Unmarshal(doc, &e); err != nil || e.Seq != seq || seq != int64(len(out)+1) {
				return escalator.Errorf(escalator.EINVALID, "%s is not a usable state file: its event %d does not decode or is out of place (it was left as it is)", s.path, seq)
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// Put stores v, as JSON, under name, replacing what was there.
func (s *Store) Put(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return escalator.Errorf(escalator.EINTERNAL, "store: cannot encode %s: %v", name, err)
	}
	return s.write(name, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO documents (name, doc) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET doc = excluded.doc`, name, string(b))
		return err
	})
}

// Get decodes the document stored under name into v and reports whether
// there was one.
func (s *Store) Get(name string, v any) (bool, error) {
	var doc []byte
	err := s.read(name, func(ctx context.Context, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT doc FROM documents WHERE name = ?`, name).Scan(&doc)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil || doc == nil {
		return false, err
	}
	if err := json.Unmarshal(doc, v); err != nil {
		return false, escalator.Errorf(escalator.EINVALID, "%s is not a usable state file: its %s does not decode: %v (it was left as it is)", s.path, name, err)
	}
	return true, nil
}

// write runs fn in one write transaction.
func (s *Store) write(op string, fn func(context.Context, *sql.Tx) error) error {
	return s.tx(op, fn, true)
}

// read runs fn in one transaction that it rolls back.
func (s *Store) read(op string, fn func(context.Context, *sql.Tx) error) error {
	return s.tx(op, fn, false)
}

func (s *Store) tx(op string, fn func(context.Context, *sql.Tx) error, commit bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return escalator.Errorf(escalator.EINTERNAL, "state file %s: %s after Close", s.path, op)
	}
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.dbError(op, err)
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return s.dbError(op, err)
	}
	if !commit {
		return s.dbError(op, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return s.dbError(op, fmt.Errorf("commit: %w", err))
	}
	return nil
}
