package reports

// What the machine formats (JUnit, JSON, Markdown) share: the name each
// result goes by, the command that reruns it, the scenario file's hash,
// and how each check reads once the scenario's expectations are applied.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator/scenarios/judge"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// defaultCommand reruns a scenario when Run.Command is empty.
const defaultCommand = "escalator run"

// runNames names each result: its scenario's name, with " [seed N]" when
// the same scenario ran more than once in the run, so every name is
// unique and stays the same from one run to the next with the same seeds.
// Two runs of a scenario with the same seed are told apart by " (2)", " (3)".
func runNames(results []*judge.Result) []string {
	count := map[string]int{}
	for _, r := range results {
		count[r.Scenario.Name]++
	}
	out := make([]string, len(results))
	seen := map[string]int{}
	for i, r := range results {
		name := r.Scenario.Name
		if count[name] > 1 {
			name = fmt.Sprintf("%s [seed %d]", name, r.Seed)
		}
		seen[name]++
		if n := seen[name]; n > 1 {
			name = fmt.Sprintf("%s (%d)", name, n)
		}
		out[i] = name
	}
	return out
}

// wall is result i's wall time, 0 when the run did not record it.
func (run Run) wall(i int) time.Duration {
	if i < len(run.Walls) {
		return run.Walls[i]
	}
	return 0
}

// rerunCommand is the command line that reruns exactly r: Run.Command
// (the base command, as for Terminal.Command) with the seed and the
// scenario's path. It is "" for a scenario built in code, with no file.
func rerunCommand(command string, r *judge.Result) string {
	if r.Scenario.Path == "" {
		return ""
	}
	if command == "" {
		command = defaultCommand
	}
	return fmt.Sprintf("%s --seed %d %s", command, r.Seed, shellQuote(r.Scenario.Path))
}

// hasher hashes scenario files, each file read once per report.
type hasher map[string]string

// hash is the hex SHA-256 of the scenario's YAML file, or of its name when
// the file cannot be read (a scenario built in code, a file since moved).
func (h hasher) hash(s *spec.Scenario) string {
	key := "path:" + s.Path
	if s.Path == "" {
		key = "name:" + s.Name
	}
	if sum, ok := h[key]; ok {
		return sum
	}
	data := []byte(s.Name)
	if s.Path != "" {
		if b, err := os.ReadFile(s.Path); err == nil {
			data = b
		}
	}
	sum := sha256.Sum256(data)
	h[key] = hex.EncodeToString(sum[:])
	return h[key]
}

// Check outcomes once a negative control's expectations are applied.
const (
	judgedPassed   = iota // passed, and nothing expected it to fail
	judgedFailed          // failed unexpected: the system under test broke a rule
	judgedExpected        // failed as the negative control expects
	judgedMissed          // the negative control expects it to fail, and it did not
	judgedDisabled        // switched off by the scenario
)

// judged is one check of a result with its outcome.
type judged struct {
	judge.CheckResult
	outcome int
}

// judgedChecks applies r's expectations to its checks, in the order the checks
// ran. An expected failure naming a check that did not run at all comes
// last, as missed, so a fail verdict always has a failing check to show.
func judgedChecks(r *judge.Result) []judged {
	expected := map[string]bool{}
	for _, v := range r.Scenario.Expect.Violations {
		expected[v] = true
	}
	ran := map[string]bool{}
	out := make([]judged, 0, len(r.Checks))
	for _, c := range r.Checks {
		ran[c.Name] = true
		j := judged{CheckResult: c}
		switch {
		case c.Status == judge.CheckFailed && expected[c.Name]:
			j.outcome = judgedExpected
		case c.Status == judge.CheckFailed:
			j.outcome = judgedFailed
		case expected[c.Name]:
			j.outcome = judgedMissed
		case c.Status == judge.CheckDisabled:
			j.outcome = judgedDisabled
		default:
			j.outcome = judgedPassed
		}
		out = append(out, j)
	}
	for _, v := range r.Scenario.Expect.Violations {
		if !ran[v] {
			ran[v] = true
			out = append(out, judged{CheckResult: judge.CheckResult{Name: v}, outcome: judgedMissed})
		}
	}
	return out
}

// missedMessage says why an expected failure did not happen.
func missedMessage(c judged) string {
	switch c.Status {
	case judge.CheckDisabled:
		return fmt.Sprintf("disabled (%s), but this negative control expects it to fail", c.Reason)
	case "":
		return "did not run, but this negative control expects it to fail"
	}
	return "passed, but this negative control expects it to fail"
}

// countVerdicts counts results by verdict.
func countVerdicts(results []*judge.Result) map[string]int {
	n := map[string]int{}
	for _, r := range results {
		n[r.Verdict]++
	}
	return n
}

// errText is a result's error, or a stand-in when an error verdict came
// without one.
func errText(r *judge.Result) string {
	if r.Err == nil {
		return "the harness could not run the scenario"
	}
	return r.Err.Error()
}

// firstLine is s up to its first line break.
func firstLine(s string) string {
	s = strings.TrimLeft(s, "\n")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// vnfm is the scenario's VNFM name and behaviour, with the loader's
// defaults for a scenario built in code.
func vnfm(s *spec.Scenario) (name, behavior string) {
	name, behavior = s.VNFM.Name, s.VNFM.Behavior
	if name == "" {
		name = "vnfm-1"
	}
	if behavior == "" {
		behavior = spec.BehaviorReference
	}
	return name, behavior
}

// flow is the scenario's upgrade flow, as the loader defaulted it (F1
// when the file names none), or else the session's: the reports apply no
// defaults of the language themselves.
func flow(r *judge.Result) string {
	if r.Scenario.Upgrade.Flow != "" {
		return r.Scenario.Upgrade.Flow
	}
	return r.Session.Flow
}

// expectedOutcome is the session outcome the scenario expects.
func expectedOutcome(s *spec.Scenario) string {
	if s.Expect.Outcome == "" {
		return spec.OutcomeCompleted
	}
	return s.Expect.Outcome
}
