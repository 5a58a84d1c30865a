package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	escalator "github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Problem is one thing wrong with a scenario file. Line and Col are 1-based;
// both are 0 when the problem has no place in the file (an unreadable file).
type Problem struct {
	Line, Col int
	Field     string // YAML path such as vnfs[1].capacityPerInstance; "" for the file as a whole
	Message   string
	Hint      string
}

// format renders the problem as the one line editors and people both read:
// FILE:LINE:COL: FIELD: message (hint: ...).
func (p Problem) format(path string) string {
	var b strings.Builder
	if path == "" {
		path = "<input>"
	}
	b.WriteString(path)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(p.Hint)
		b.WriteString(")")
	}
	// One problem must stay one line whatever the input held.
	return loadOneLine(b.String())
}

func loadOneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}

// Error is everything wrong with one scenario file, sorted by position.
// It unwraps to an *escalator.Error with code EINVALID, so the CLI exits 2.
type Error struct {
	Path     string
	Problems []Problem

	cause error // the I/O error behind an unreadable file, for errors.Is
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.format(e.Path)
	}
	return strings.Join(lines, "\n")
}

// Unwrap gives the module's error type (so escalator.ErrorCode sees
// EINVALID) and, for unreadable files, the I/O error (so errors.Is works
// with fs.ErrNotExist).
func (e *Error) Unwrap() []error {
	errs := []error{&escalator.Error{Code: escalator.EINVALID, Message: e.Error()}}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// Errors gathers the Errors of several files, in load order.
type Errors []*Error

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, le := range e {
		parts[i] = le.Error()
	}
	return strings.Join(parts, "\n")
}

func (e Errors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, le := range e {
		errs[i] = le
	}
	return errs
}

// File reads and loads one scenario file, under the default Limits.
func File(path string) (*spec.Scenario, error) {
	return Limits{}.File(path)
}

// Bytes loads a scenario from data, under the default Limits; path only
// names it in errors and in Scenario.Path. On failure the error is an
// *Error listing every problem.
func Bytes(path string, data []byte) (*spec.Scenario, error) {
	return Limits{}.Bytes(path, data)
}

// Paths loads every scenario named by paths. A file is loaded whatever
// its name; a folder is walked for *.yaml and *.yml files, sorted, skipping
// folders named testdata below it. Loading goes on past bad files: the
// scenarios that loaded come back together with an Errors for the rest.
// The default Limits apply.
func Paths(paths []string) ([]*spec.Scenario, error) {
	return Limits{}.Paths(paths)
}

func (l Limits) paths(paths []string) ([]*spec.Scenario, error) {
	var (
		out  []*spec.Scenario
		errs Errors
		seen = map[string]bool{}
	)
	load := func(file string) {
		if seen[file] {
			return
		}
		seen[file] = true
		if s, le := l.loadFile(file); le != nil {
			errs = append(errs, le)
		} else {
			out = append(out, s)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, loadIOError(p, err))
			continue
		}
		if !info.IsDir() {
			load(filepath.Clean(p))
			continue
		}
		files, walkErrs := loadWalk(p)
		errs = append(errs, walkErrs...)
		if len(files) == 0 && len(walkErrs) == 0 {
			errs = append(errs, &Error{Path: p, Problems: []Problem{{
				Message: "no .yaml or .yml files in this folder",
			}}})
		}
		for _, f := range files {
			load(f)
		}
	}
	if len(errs) > 0 {
		return out, errs
	}
	return out, nil
}

// loadFile and loadBytes take limits with their defaults filled in.
func (l Limits) loadFile(path string) (*spec.Scenario, *Error) {
	data, le := l.readInput(path)
	if le != nil {
		return nil, le
	}
	return l.loadBytes(path, data)
}

// loadBytes decodes onto the presets, then fills the remaining defaults and
// validates. Validation waits for a clean decode: on a half-decoded
// scenario it would mostly echo the decoding problems.
func (l Limits) loadBytes(path string, data []byte) (*spec.Scenario, *Error) {
	if int64(len(data)) > l.MaxInputSize {
		return nil, l.tooLarge(path, int64(len(data)), false)
	}
	d := newLoadDecoder()
	d.limits = l
	root := d.parse(data)
	if root == nil {
		return nil, d.err(path)
	}
	s := &spec.Scenario{}
	loadPresets(s)
	d.decode(root, reflect.ValueOf(s).Elem(), "")
	if len(d.problems) > 0 {
		return nil, d.err(path)
	}
	s.ApplyDefaults()
	d.validate(s)
	if len(d.problems) > 0 {
		return nil, d.err(path)
	}
	s.Path = path
	return s, nil
}

func loadWalk(dir string) ([]string, Errors) {
	var (
		files []string
		errs  Errors
	)
	_ = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, loadIOError(p, err))
			return nil
		}
		if de.IsDir() {
			// Go's convention: testdata holds fixtures (here, deliberately
			// broken scenarios), never inputs.
			if p != dir && de.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, errs
}

func loadIOError(path string, err error) *Error {
	msg := err.Error()
	// The path is already at the front of the line; keep only the reason.
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &Error{Path: path, Problems: []Problem{{Message: msg}}, cause: err}
}

// loadPresets gives the defaults whose zero is a meaningful value. They must
// be in place before decoding so that only an absent key gets them: an
// explicit "blackout: 0s" (a perfect live migration) has to stay 0, which
// ApplyDefaults, seeing only the zero, could not tell from a missing key.
func loadPresets(s *spec.Scenario) {
	s.NFVI.LiveMigration.Blackout = spec.Duration(500 * time.Millisecond)
}
