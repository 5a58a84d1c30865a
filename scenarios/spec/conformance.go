package spec

// ConformanceSpec makes a scenario a conformance test case for a VNFM, in
// the layout of ETSI GS NFV-TST 010: what is tested, on what grounds, and
// which checks decide. The scenario's world and upgrade are the case's
// pre-conditions made concrete.
type ConformanceSpec struct {
	// ID is stable across releases: AREA-NNN (e.g. MNT-002).
	ID        string `yaml:"id" required:"true"`
	Title     string `yaml:"title" required:"true"`
	Objective string `yaml:"objective" required:"true"`
	// Reference is the clause the case checks: of our API specs, an ETSI
	// SOL013 convention, or an IFA 011 limit.
	Reference      string   `yaml:"reference" required:"true"`
	Preconditions  []string `yaml:"preconditions"`
	Applicability  string   `yaml:"applicability"`
	Postconditions []string `yaml:"postconditions"`
	// DecidedBy are the checks whose results are the case's verdict; the
	// others run too and are shown as context.
	DecidedBy []string `yaml:"decidedBy" required:"true"`
	// FailedBy are the misbehaviour profiles of the reference VNFM that
	// must make this case fail (and no profile not listed may): the proof
	// that the case can fail.
	FailedBy []string `yaml:"failedBy"`
}
