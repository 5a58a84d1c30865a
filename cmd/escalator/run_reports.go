package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/escalator-testbed/escalator/reports"
)

// reportFlags are the files `escalator run` writes besides the terminal.
type reportFlags struct {
	junit, json, markdown, html string
}

func (f *reportFlags) any() bool {
	return f.junit != "" || f.json != "" || f.markdown != "" || f.html != ""
}

// write renders the run in every format asked for. Each file is written
// whole or not at all: a CI step never reads half a report.
func (f *reportFlags) write(run reports.Run) error {
	for _, out := range []struct {
		path   string
		render func(io.Writer, reports.Run) error
	}{
		{f.junit, reports.WriteJUnit},
		{f.json, reports.WriteJSON},
		{f.markdown, reports.WriteMarkdown},
		{f.html, reports.WriteHTML},
	} {
		if out.path == "" {
			continue
		}
		var b bytes.Buffer
		if err := out.render(&b, run); err != nil {
			return fmt.Errorf("rendering %s: %w", out.path, err)
		}
		if err := writeAtomic(out.path, b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	// Reports are for reading, by people and CI tools alike.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
