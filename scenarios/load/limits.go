package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Defaults of Limits. A scenario file is a few kilobytes; the largest
// bundled world (scenarios/scale/f1-10000-nodes.yaml: 10,000 nodes,
// 200,000 VMs, a whole region) runs in about 30 s and 1.5 GB on two cores
// (bench/results.md), and memory grows with the VMs, so the world caps
// admit it and still stop a typo such as "replicas: 1000000" before it
// takes the machine's memory.
const (
	DefaultMaxInputSize = 16 << 20 // bytes of one scenario file
	DefaultMaxNodes     = 10_000   // compute nodes of one scenario
	DefaultMaxVMs       = 200_000  // VMs of one scenario: instances × replicas, summed over the VNFs
)

// Limits bounds what the loader accepts beyond what the language allows:
// how large a file it reads, and how large a world a scenario may build.
// A zero field takes its default (DefaultMaxInputSize, ...). The command
// line raises them with --max-input-size and --max-world.
type Limits struct {
	MaxInputSize int64
	MaxNodes     int
	MaxVMs       int
}

func (l Limits) withDefaults() Limits {
	if l.MaxInputSize <= 0 {
		l.MaxInputSize = DefaultMaxInputSize
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MaxVMs <= 0 {
		l.MaxVMs = DefaultMaxVMs
	}
	return l
}

// File is the package's File under these limits.
func (l Limits) File(path string) (*spec.Scenario, error) {
	s, le := l.withDefaults().loadFile(path)
	if le != nil {
		return nil, le
	}
	return s, nil
}

// Bytes is the package's Bytes under these limits.
func (l Limits) Bytes(path string, data []byte) (*spec.Scenario, error) {
	s, le := l.withDefaults().loadBytes(path, data)
	if le != nil {
		return nil, le
	}
	return s, nil
}

// Paths is the package's Paths under these limits.
func (l Limits) Paths(paths []string) ([]*spec.Scenario, error) {
	return l.withDefaults().paths(paths)
}

// Flags that raise the limits, named in the hints so that a refusal says
// how to go past it.
const (
	flagMaxInputSize = "--max-input-size"
	flagMaxWorld     = "--max-world"
)

// readInput reads a scenario file, refusing before it reads a byte what
// is not one: a folder, a device such as /dev/zero (endless), a FIFO
// (whose open would block until a writer comes), a socket, or a file
// larger than the cap. The stat comes first, on the path, so that nothing
// is opened that could block; the open is non-blocking in case the path
// was swapped for a FIFO meanwhile, and the read is capped in case the
// file grew.
func (l Limits) readInput(path string) ([]byte, *Error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, loadIOError(path, err)
	}
	if le := l.checkInfo(path, info); le != nil {
		return nil, le
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, loadIOError(path, err)
	}
	defer f.Close()
	if info, err = f.Stat(); err != nil {
		return nil, loadIOError(path, err)
	}
	if le := l.checkInfo(path, info); le != nil {
		return nil, le
	}
	data, err := io.ReadAll(io.LimitReader(f, l.MaxInputSize+1))
	if err != nil {
		return nil, loadIOError(path, err)
	}
	if int64(len(data)) > l.MaxInputSize {
		return nil, l.tooLarge(path, int64(len(data)), true)
	}
	return data, nil
}

func (l Limits) checkInfo(path string, info fs.FileInfo) *Error {
	if !info.Mode().IsRegular() {
		return &Error{Path: path, Problems: []Problem{{
			Message: "not a regular file: " + loadFileKind(info.Mode()),
			Hint:    "a scenario is a .yaml file; escalator reads no devices, FIFOs or sockets",
		}}, cause: errNotRegular}
	}
	if info.Size() > l.MaxInputSize {
		return l.tooLarge(path, info.Size(), false)
	}
	return nil
}

// errNotRegular is the cause behind a refused device, FIFO or folder, for
// errors.Is.
var errNotRegular = errors.New("not a regular file")

// ErrTooLarge is the cause behind a file over the size cap, for errors.Is.
var ErrTooLarge = errors.New("input too large")

func (l Limits) tooLarge(path string, size int64, grew bool) *Error {
	msg := fmt.Sprintf("the file is %s, more than the %s a scenario may be", loadBytesText(size), loadBytesText(l.MaxInputSize))
	if grew {
		msg = fmt.Sprintf("the file holds more than the %s a scenario may be", loadBytesText(l.MaxInputSize))
	}
	return &Error{Path: path, Problems: []Problem{{
		Message: msg,
		Hint: fmt.Sprintf("a scenario is a few KiB: generate nodes with nodes.count and VNFs with replicas instead of listing them, or raise the cap with %s, e.g. %s %dMiB",
			flagMaxInputSize, flagMaxInputSize, loadRaiseMiB(max(size, l.MaxInputSize+1))),
	}}, cause: ErrTooLarge}
}

func loadFileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a special file (" + m.Type().String() + ")"
}

// loadBytesText is a size for people: 16MiB, 50MiB, 900B.
func loadBytesText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// loadRaiseMiB is a cap to suggest for a file of n bytes: the next power
// of two MiB that holds it.
func loadRaiseMiB(n int64) int64 {
	mib := int64(1)
	for mib<<20 < n {
		mib *= 2
	}
	return mib
}
