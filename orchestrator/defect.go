package orchestrator

import "fmt"

// defects are the deliberate orchestrator bugs by name; its keys are the
// valid Config.Defects values. Each takes a session's flow and returns it
// with one step left out (a filter of the planner's chain, or a wait), so
// the production flows and filters hold no defect checks at all.
var defects = map[string]func(flow) flow{
	// Upgrade without waiting for the replies (the VNFMs are still told).
	DefectIgnoreReply: func(f flow) flow { return noReplyWait{f} },
	// Batches twice as large as maxParallel allows (F2 has no maxParallel
	// filter: it stays one node at a time).
	DefectIgnoreMaxParallel: func(f flow) flow {
		return rechained{f, func(cfg *Config, chain []filter) []filter {
			n := 2 * cfg.MaxParallel
			return replaced(chain, batchSize(filterMaxParallel, n,
				fmt.Sprintf("maxParallel %d reached (doubled to %d by %s)", cfg.MaxParallel, n, DefectIgnoreMaxParallel)))
		}}
	},
	// Plan batches without instance-group limits.
	DefectIgnoreVNFGroups: func(f flow) flow {
		return rechained{f, func(_ *Config, chain []filter) []filter { return without(chain, filterGroups) }}
	},
	// No IFA 011 recovery time, lead time or migration types.
	DefectIgnoreVNFLimits: func(f flow) flow {
		return noVNFLimits{rechained{f, func(_ *Config, chain []filter) []filter { return without(chain, filterRecovery) }}}
	},
	// A restarted Manager forgets the session, as one without a store.
	DefectForgetOnRestart: func(f flow) flow { return forgetful{f} },
}

// forgetful is a flow whose sessions a restart does not resume.
type forgetful struct{ flow }

func (forgetful) resumes() bool { return false }

// rechained is a flow with its planner's chain edited.
type rechained struct {
	flow
	edit func(cfg *Config, chain []filter) []filter
}

func (f rechained) filters(cfg *Config) []filter { return f.edit(cfg, f.flow.filters(cfg)) }

// noReplyWait is a flow that does not wait for replies.
type noReplyWait struct{ flow }

func (noReplyWait) awaitsReplies() bool { return false }

// noVNFLimits is a flow that waits no lead time and moves VMs however it
// likes.
type noVNFLimits struct{ flow }

func (noVNFLimits) honoursVNFLimits() bool { return false }
