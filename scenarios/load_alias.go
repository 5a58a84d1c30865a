package scenarios

// The loader moved to scenarios/load; these aliases keep the old names
// compiling while callers move over.

import "github.com/escalator-testbed/escalator/scenarios/load"

type (
	Problem    = load.Problem
	LoadError  = load.Error
	LoadErrors = load.Errors
)

var (
	LoadFile  = load.File
	LoadBytes = load.Bytes
	LoadPaths = load.Paths
)
