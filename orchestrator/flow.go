package orchestrator

import (
	"slices"
	"strings"
)

// A flow is one upgrade strategy: what the Manager does differently under
// F1, F2 and the naive negative control. A session picks its flow once,
// from flows by Config.Flow, wrapped in its defects (defect.go); from then
// on the Manager asks the flow and never looks at the name.
type flow interface {
	// filters is the planner's chain for a session (plan.go).
	filters(cfg *Config) []filter
	// checksCapacity: Escalator UC1's capacity pre-check applies, when the
	// operator asks for it (Config.CheckCapacity).
	checksCapacity() bool
	// maintains: a batch's nodes enter maintenance mode and their VNFMs
	// are notified, and each node is released and announced afterwards.
	// The naive flow does none of it.
	maintains() bool
	// awaitsReplies: a batch waits for its VNFMs' replies, or the reply
	// deadline, before it goes on.
	awaitsReplies() bool
	// honoursVNFLimits: a batch waits out its groups' IFA 011 lead time
	// before the first impact, and a VM moves only as its VNF allows.
	honoursVNFLimits() bool
	// movesBusiness: after the replies, the business check and the
	// fallback migration of seed F1 step 6 run before the upgrade.
	movesBusiness() bool
	// resumes: a restarted Manager takes the session up again from its
	// store (every flow does; only a negative control forgets).
	resumes() bool
}

// flows are the strategies by name; its keys are the valid Config.Flow
// values.
var flows = map[string]flow{
	FlowF1:    f1{},
	FlowF2:    f2{},
	FlowNaive: naive{},
}

// sessionFlow is the flow a valid configuration runs: its flow, wrapped
// once in each of its defects.
func sessionFlow(cfg *Config) flow {
	f := flows[cfg.Flow]
	var seen []string
	for _, d := range cfg.Defects {
		if !slices.Contains(seen, d) {
			seen = append(seen, d)
			f = defects[d](f)
		}
	}
	return f
}

// honest is what every flow does unless a defect says otherwise.
type honest struct{}

func (honest) awaitsReplies() bool    { return true }
func (honest) honoursVNFLimits() bool { return true }

// f1 is "VIM as a whole": batches of up to maxParallel nodes within every
// instance group's limit, a business check and fallback migration.
type f1 struct{ honest }

func (f1) filters(cfg *Config) []filter {
	return append(shape(cfg, maxParallel(cfg.MaxParallel)), recovery(cfg), groupLimits(cfg))
}
func (f1) checksCapacity() bool { return true }
func (f1) maintains() bool      { return true }
func (f1) movesBusiness() bool  { return true }
func (f1) resumes() bool        { return true }

// f2 is "inside the VIM": one node at a time, upgraded on the VNFM's reply
// or the timeout.
type f2 struct{ honest }

func (f2) filters(cfg *Config) []filter {
	return append(shape(cfg, oneNode), recovery(cfg))
}
func (f2) checksCapacity() bool { return false }
func (f2) maintains() bool      { return true }
func (f2) movesBusiness() bool  { return false }
func (f2) resumes() bool        { return true }

// naive is the negative control: maxParallel nodes at a time, no instance
// groups, no maintenance mode, no notification.
type naive struct{ honest }

func (naive) filters(cfg *Config) []filter {
	return append(shape(cfg, maxParallel(cfg.MaxParallel)), recovery(cfg))
}
func (naive) checksCapacity() bool { return false }
func (naive) maintains() bool      { return false }
func (naive) movesBusiness() bool  { return false }
func (naive) resumes() bool        { return true }

// shape is the head of every chain: the batch's size, then its zone.
func shape(cfg *Config, size filter) []filter {
	if cfg.BatchByZone {
		return []filter{size, sameZone}
	}
	return []filter{size}
}

// oneOf lists names as "a, b or c", sorted.
func oneOf[V any](m map[string]V) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
