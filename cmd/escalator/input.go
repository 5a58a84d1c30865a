package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/scenarios/load"
)

// inputFlags are the limits on what a command reads: --max-input-size and
// --max-world, on every command that loads scenario files.
type inputFlags struct {
	size  sizeFlag
	world worldFlag
}

func (f *inputFlags) define(fs *flag.FlagSet) {
	f.size = sizeFlag(load.DefaultMaxInputSize)
	f.world = worldFlag{load.DefaultMaxNodes, load.DefaultMaxVMs}
	fs.Var(&f.size, "max-input-size", "refuse scenario files larger than `SIZE` (bytes, or with KiB, MiB or GiB), e.g. --max-input-size 64MiB")
	fs.Var(&f.world, "max-world", "refuse scenarios with more than `NODES/VMS` nodes or VMs (instances × replicas), e.g. --max-world 20000/400000 past the bundled 10,000-node region")
}

func (f *inputFlags) limits() load.Limits {
	return load.Limits{MaxInputSize: int64(f.size), MaxNodes: f.world.nodes, MaxVMs: f.world.vms}
}

// sizeFlag is a byte count written 16777216, 16MiB, 16M, 512KiB or 1GiB.
type sizeFlag int64

func (f *sizeFlag) String() string {
	if f == nil {
		return ""
	}
	n := int64(*f)
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n > 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

func (f *sizeFlag) Set(s string) error {
	num, shift := cutSizeUnit(strings.TrimSpace(s))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > (1<<40)>>shift {
		return errors.New("want a size of at least 1 byte and at most 1TiB, e.g. 64MiB or 1048576")
	}
	*f = sizeFlag(n << shift)
	return nil
}

// cutSizeUnit splits "64MiB" into "64" and the unit's power of two.
func cutSizeUnit(s string) (string, int) {
	for _, u := range []struct {
		suffix string
		shift  int
	}{{"GiB", 30}, {"GB", 30}, {"G", 30}, {"MiB", 20}, {"MB", 20}, {"M", 20}, {"KiB", 10}, {"KB", 10}, {"K", 10}, {"B", 0}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			return strings.TrimSpace(rest), u.shift
		}
	}
	return s, 0
}

// worldFlag is --max-world NODES/VMS.
type worldFlag struct{ nodes, vms int }

func (f *worldFlag) String() string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf("%d/%d", f.nodes, f.vms)
}

func (f *worldFlag) Set(s string) error {
	a, b, ok := strings.Cut(s, "/")
	nodes, errN := strconv.Atoi(strings.TrimSpace(a))
	vms, errV := strconv.Atoi(strings.TrimSpace(b))
	if !ok || errN != nil || errV != nil || nodes < 1 || vms < 1 {
		return errors.New("want NODES/VMS, two whole numbers of at least 1, e.g. 20000/400000")
	}
	f.nodes, f.vms = nodes, vms
	return nil
}

// outputPath is where a file named after input (a scenario's name, which
// a file chose) goes in dir: dir joined with name, refused unless name is
// one plain, visible path element, so that it stays inside dir and clear
// of the hidden temporary files (.trace-*) written beside it. The loader
// already refuses such names; this guards every writer against a scenario
// built in code, or a name that got past a future loader.
func outputPath(dir, name string) (string, error) {
	if name == "" || strings.HasPrefix(name, ".") || strings.ContainsAny(name, `/\`+"\x00") ||
		filepath.Base(name) != name || !filepath.IsLocal(name) {
		return "", &escalator.Error{Code: escalator.EINVALID,
			Message: fmt.Sprintf("%q is not a file name that stays inside %s", name, dir)}
	}
	return filepath.Join(dir, name), nil
}

// writeTraceFile writes what write produces to path through a
// temporary file in the same folder, renamed into place: a reader never
// sees half a file, and the temporary file is removed on every way out,
// a failed write, close or rename and a panic included.
func writeTraceFile(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".trace-*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	renamed = true
	return nil
}
