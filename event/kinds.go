package event

// The trace vocabulary, one type per kind, grouped by the part of the
// system that emits it. docs/ARCHITECTURE.md's "Trace vocabulary" table
// says what each kind means; scenarios' tests hold the table to Kinds().
//
// Tags: a field without omitempty is always written (its zero value
// included); one with omitempty is written only when set. A pointer says
// "set, possibly to zero" for a field some events of the kind carry and
// others do not.

// all is every payload type; Kinds and the tests read it.
var all = []Payload{
	DeliveryAttempt{}, DeliveryFailed{}, DeliveryNoSubscriber{},
	FaultBootVMFailed{}, FaultCleared{}, FaultInjected{}, FaultNodeCrash{}, FaultUpgradeFails{},
	FaultUpgradeHangs{}, FaultVerifyFails{}, FaultVNFM{},
	HTTPExchange{},
	NodeAdded{}, NodeCommand{}, NodeFinal{}, NodeState{}, NodeStatus{}, NodeUpgradeStarted{}, NodeVersion{},
	NovaMigration{},
	OrchestratorHalted{}, OrchestratorReconciled{}, OrchestratorRestarted{},
	PhaseStarted{},
	PlanBatch{}, PlanLeadTime{}, PlanWait{},
	ProbeExchange{}, ProbeSkipped{},
	ServiceInterruption{}, ServiceSummary{},
	SessionCreated{}, SessionDefects{}, SessionRefused{}, SessionState{},
	SpecViolation{},
	SubscriptionCreated{}, SubscriptionDeleted{}, SubscriptionDropped{}, SubscriptionHeld{}, SubscriptionRefused{},
	VMBusiness{}, VMDeleted{}, VMMigrate{}, VMMigrateFinished{}, VMMigrateRequested{}, VMMigrated{}, VMMigrating{},
	VMMigrationFailed{}, VMPlaced{}, VMState{},
	VNFDeployed{}, VNFDrain{}, VNFDrained{}, VNFFailover{}, VNFFailoverFailed{}, VNFFailoverStarted{},
	VNFMemberRemoved{}, VNFMemberRestored{}, VNFScaled{}, VNFStandbySynced{}, VNFSwitchover{}, VNFUndrain{},
	VNFMAction{}, VNFMCrashed{}, VNFMDuplicate{}, VNFMError{}, VNFMIgnored{}, VNFMNotify{}, VNFMReceived{}, VNFMReply{},
	VNFMReplyRejected{}, VNFMReplyTimeout{}, VNFMRestarted{}, VNFMWaiting{},
}

// --- orchestrator: the Upgrade Manager's session ---------------------------

// SessionRefused: a session the precheck turned down (no subject).
type SessionRefused struct {
	Reason        string `json:"reason"`
	TargetVersion string `json:"targetVersion"`
	Flow          string `json:"flow"`
}

// SessionCreated: an upgrade session began, with its settled terms.
type SessionCreated struct {
	Flow           string   `json:"flow"`
	TargetVersion  string   `json:"targetVersion"`
	Nodes          []string `json:"nodes"`
	MaxParallel    int      `json:"maxParallel"`
	ReplyTimeout   string   `json:"replyTimeout"`
	UpgradeTimeout string   `json:"upgradeTimeout"`
	OnNack         string   `json:"onNack"`
}

// OrchestratorRestarted: a new Manager loaded its store; Resumed are the
// unfinished sessions it takes up again (no subject).
type OrchestratorRestarted struct {
	Loaded  int      `json:"loaded"`
	Resumed []string `json:"resumed,omitempty"`
}

// OrchestratorReconciled: after a restart, what the store recorded of a
// node (subject) or session, what the world showed, and what the Manager
// does about it.
type OrchestratorReconciled struct {
	Session  string `json:"session"`
	Recorded string `json:"recorded"`
	Found    string `json:"found,omitempty"`
	Action   string `json:"action"`
}

// OrchestratorHalted: the store refused a write, so the Manager stopped
// before acting on what it could not record (no subject); a restart
// resumes from the last commit.
type OrchestratorHalted struct {
	Error string `json:"error"`
}

// SessionDefects: the deliberate orchestrator bugs of a negative control.
type SessionDefects struct {
	Defects []string `json:"defects"`
	Note    string   `json:"note"`
}

// SessionState: the session moved to State.
type SessionState struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

// NodeStatus: the session's view of one node (subject) changed.
type NodeStatus struct {
	Status  string `json:"status"`
	Session string `json:"session"`
	Reason  string `json:"reason,omitempty"`
}

// PlanBatch: the planner picked the next batch of nodes. Deferred maps a
// node held back to why.
type PlanBatch struct {
	Nodes    []string          `json:"nodes"`
	Session  string            `json:"session"`
	Deferred map[string]string `json:"deferred,omitempty"`
}

// PlanWait: no node can go yet; the planner looks again after Wait.
type PlanWait struct {
	Nodes    []string          `json:"nodes"`
	Session  string            `json:"session"`
	Deferred map[string]string `json:"deferred,omitempty"`
	Wait     string            `json:"wait"`
}

// PlanLeadTime: a batch waits out an instance group's notification lead time.
type PlanLeadTime struct {
	Group    string `json:"group"`
	LeadTime string `json:"leadTime"`
	Wait     string `json:"wait"`
}

// PhaseStarted: the batch entered a maintenance state; VNFMs are told in order.
type PhaseStarted struct {
	State string   `json:"state"`
	VNFMs []string `json:"vnfms"`
}

// VNFMNotify: the VIM sent a notification to a VNFM (subject).
type VNFMNotify struct {
	VNFM           string   `json:"vnfm"`
	NotificationID string   `json:"notificationId"`
	Type           string   `json:"type"`
	Session        string   `json:"session"`
	State          string   `json:"state,omitempty"`
	SessionState   string   `json:"sessionState,omitempty"`
	Nodes          []string `json:"nodes,omitempty"`
	Instances      []string `json:"instances,omitempty"`
	ReplyBy        string   `json:"replyBy,omitempty"` // RFC 3339, wall time of the notification
	ReplyWithin    string   `json:"replyWithin,omitempty"`
	// Resent: the same notification again, after a restart found no
	// reply on record (a VNFM that keeps the ids it handled ignores it).
	Resent bool `json:"resent,omitempty"`
}

// VNFMReply: the VIM took (Accepted) or refused a VNFM's reply.
type VNFMReply struct {
	VNFM           string   `json:"vnfm"`
	NotificationID string   `json:"notificationId"`
	Reply          string   `json:"reply"`
	Accepted       bool     `json:"accepted"`
	Actions        []string `json:"actions,omitempty"` // instance:ACTION
	Error          string   `json:"error,omitempty"`
}

// VNFMReplyTimeout: VNFMs did not answer a phase within After.
type VNFMReplyTimeout struct {
	VNFMs []string `json:"vnfms"`
	After string   `json:"after"`
	State string   `json:"state"`
}

// VMMigrate: the orchestrator moves a VM (subject) off a node, or was
// refused by the VNF's migration types (Refused set, Live absent).
type VMMigrate struct {
	From    string `json:"from"`
	Reason  string `json:"reason"`
	Session string `json:"session"`
	Live    *bool  `json:"live,omitempty"`
	Refused string `json:"refused,omitempty"`
}

// --- orchestrator/vimhttp: subscriptions and delivery ----------------------

// SubscriptionCreated: a VNFM subscribed (Created false: an identical one existed).
type SubscriptionCreated struct {
	VNFM        string `json:"vnfm"`
	CallbackURI string `json:"callbackUri"`
	Created     bool   `json:"created"`
	Auth        string `json:"auth"`
}

// SubscriptionRefused: a subscription whose callback failed its test.
type SubscriptionRefused struct {
	CallbackURI string `json:"callbackUri"`
	Error       string `json:"error"`
}

// SubscriptionDeleted: a subscription (subject) was removed.
type SubscriptionDeleted struct{}

// SubscriptionDropped: the VIM removed a subscription (subject) whose
// deliveries kept failing (vimhttp.DropPolicy): Failures attempts in a row
// over Since, the last with LastError.
type SubscriptionDropped struct {
	VNFM        string `json:"vnfm"`
	CallbackURI string `json:"callbackUri"`
	Failures    int    `json:"failures"`
	Since       string `json:"since"`
	LastError   string `json:"lastError"`
}

// SubscriptionHeld: a subscription the testbed found at a case's start.
type SubscriptionHeld struct {
	VNFM        string   `json:"vnfm"`
	CallbackURI string   `json:"callbackUri"`
	Types       []string `json:"types"`
	Auth        string   `json:"auth"`
}

// DeliveryAttempt: one POST of a notification to a subscription (subject).
type DeliveryAttempt struct {
	NotificationID string `json:"notificationId"`
	Attempt        int    `json:"attempt"`
	Status         int    `json:"status,omitempty"`
	Error          string `json:"error,omitempty"`
	RetryIn        string `json:"retryIn,omitempty"`
}

// DeliveryFailed: a notification was given up on.
type DeliveryFailed struct {
	NotificationID string `json:"notificationId"`
	Attempts       *int   `json:"attempts,omitempty"`
	Error          string `json:"error"`
}

// DeliveryNoSubscriber: nobody subscribed for this VNFM (subject).
type DeliveryNoSubscriber struct {
	NotificationID string `json:"notificationId"`
	Type           string `json:"type"`
}

// VMMigrateRequested: a VNFM asked the VIM to migrate a VM (subject).
type VMMigrateRequested struct {
	Live bool   `json:"live"`
	By   string `json:"by"`
}

// VMMigrateFinished: the migration a VNFM asked for ended, at To or with Error.
type VMMigrateFinished struct {
	To    string `json:"to"`
	Error string `json:"error,omitempty"`
}

// --- sim: the NFVI -----------------------------------------------------------

// NodeAdded: a compute node (subject) joined the simulated cloud.
type NodeAdded struct {
	Zone      string `json:"zone"`
	Version   string `json:"version"`
	VCPUs     int    `json:"vcpus"`
	MemoryGiB int    `json:"memoryGiB"`
}

// NodeState: a node's state changed (ENABLED, MAINTENANCE, UPGRADING, ...).
type NodeState struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// NodeUpgradeStarted: a node's software upgrade began.
type NodeUpgradeStarted struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// NodeVersion: a node now runs version To.
type NodeVersion struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// NodeCommand: system support on a real cloud ran a node's upgrade or
// verification (Step), or the cloud refused a request about the node
// (Step maintenance), and this is what came of it: the command line, its
// exit code (-1: it never exited by itself), how long it ran, whether its
// timeout killed it, and the end of its output, bounded so a chatty
// installer cannot bloat the trace.
type NodeCommand struct {
	Step     string `json:"step"`
	Command  string `json:"command"`
	Exit     int    `json:"exit"`
	Duration string `json:"duration"`
	TimedOut bool   `json:"timedOut,omitempty"`
	Output   string `json:"output,omitempty"`
	Error    string `json:"error,omitempty"`
}

// NovaMigration: Nova's own record of a migration the orchestrator asked
// for (GET /os-migrations), kept as evidence beside vm.migrated or
// vm.migration-failed: its type and final status, the hosts, and the
// window between the record's creation and its last update, the bound
// Nova gives on the time the server was moving.
type NovaMigration struct {
	Server  string `json:"server"`
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Source  string `json:"source"`
	Dest    string `json:"dest,omitempty"`
	Created string `json:"created,omitempty"`
	Updated string `json:"updated,omitempty"`
	Window  string `json:"window,omitempty"`
}

// NodeFinal: a node's state and version when the run ended.
type NodeFinal struct {
	State   string `json:"state"`
	Version string `json:"version"`
}

// VMState: a VM's state changed on Node.
type VMState struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Node  string `json:"node"`
	Cause string `json:"cause"`
}

// VMPlaced: a VM booted on Node, which was in NodeState then.
type VMPlaced struct {
	Node      string `json:"node"`
	VNF       string `json:"vnf"`
	VNFM      string `json:"vnfm"`
	Group     string `json:"group"`
	NodeState string `json:"nodeState"`
}

// VMDeleted: a VM was deleted from Node.
type VMDeleted struct {
	Node string `json:"node"`
}

// VMMigrating: a VM started to move.
type VMMigrating struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Live    bool   `json:"live"`
	ToState string `json:"toState"`
}

// VMMigrated: a VM arrived on To.
type VMMigrated struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// VMMigrationFailed: a migration could not start (no To) or broke off.
type VMMigrationFailed struct {
	From  string `json:"from"`
	To    string `json:"to,omitempty"`
	Error string `json:"error"`
}

// --- sim: VNFs and traffic ---------------------------------------------------

// VNFDeployed: a VNF (subject) was deployed; the limit fields are present
// only when it declared IFA 011 limits.
type VNFDeployed struct {
	Mode                string   `json:"mode"`
	Instances           int      `json:"instances"`
	Load                float64  `json:"load"`
	CapacityPerInstance float64  `json:"capacityPerInstance"`
	LeadTime            string   `json:"leadTime,omitempty"`
	MaxImpacted         *int     `json:"maxImpacted,omitempty"`
	MinPreserved        *int     `json:"minPreserved,omitempty"`
	MinRecoveryTime     string   `json:"minRecoveryTime,omitempty"`
	MigrationTypes      []string `json:"migrationTypes,omitempty"`
}

// VMBusiness: whether an instance (subject: its VM) carries business now.
type VMBusiness struct {
	VNF      string `json:"vnf"`
	Carrying bool   `json:"carrying"`
	Node     string `json:"node"`
	Role     string `json:"role"`
}

// VNFSwitchover: an active-standby VNF switched its active From → To.
type VNFSwitchover struct {
	From string `json:"from"`
	To   string `json:"to"`
	Gap  string `json:"gap"`
}

// VNFDrain: a load-balanced VNF began draining Instance.
type VNFDrain struct {
	Instance string `json:"instance"`
}

// VNFDrained: Instance holds no business any more.
type VNFDrained struct {
	Instance string `json:"instance"`
}

// VNFUndrain: Instance is back in rotation.
type VNFUndrain struct {
	Instance string `json:"instance"`
}

// VNFScaled: a VNF's instance count changed.
type VNFScaled struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// VNFMemberRemoved: a health check took VM out of rotation.
type VNFMemberRemoved struct {
	VM string `json:"vm"`
	By string `json:"by"`
}

// VNFMemberRestored: a health check put VM back.
type VNFMemberRestored struct {
	VM string `json:"vm"`
	By string `json:"by"`
}

// VNFStandbySynced: a standby finished resynchronising.
type VNFStandbySynced struct {
	Instance string `json:"instance"`
}

// VNFFailoverStarted: a VNF lost its active and fails over, in Takes.
type VNFFailoverStarted struct {
	Takes string `json:"takes"`
}

// VNFFailover: the failover ended with To active.
type VNFFailover struct {
	To string `json:"to"`
}

// VNFFailoverFailed: no instance could take over.
type VNFFailoverFailed struct {
	Reason string `json:"reason"`
}

// ServiceInterruption: a stretch during which a service (subject) lost requests.
type ServiceInterruption struct {
	Start    string  `json:"start"`
	Duration string  `json:"duration"`
	Lost     float64 `json:"lost"`
	Cause    string  `json:"cause"`
}

// ServiceSummary: a service's books at the end of the run.
type ServiceSummary struct {
	Mode          string  `json:"mode"`
	Offered       float64 `json:"offered"`
	Lost          float64 `json:"lost"`
	Interruptions int     `json:"interruptions"`
}

// --- sim: the reference VNFM -------------------------------------------------

// VNFMReceived: the VNFM (subject) received a notification.
type VNFMReceived struct {
	NotificationID string `json:"notificationId"`
	Type           string `json:"type"`
	State          string `json:"state,omitempty"`
}

// VNFMDuplicate: a notification the VNFM had seen already.
type VNFMDuplicate struct {
	NotificationID string `json:"notificationId"`
}

// VNFMAction: the VNFM acted on an instance of a VNF.
type VNFMAction struct {
	VNF      string `json:"vnf"`
	Instance string `json:"instance"`
	Action   string `json:"action"`
}

// VNFMReplyRejected: the VIM refused the VNFM's reply.
type VNFMReplyRejected struct {
	NotificationID string `json:"notificationId"`
	Error          string `json:"error"`
	RetryIn        string `json:"retryIn,omitempty"`
}

// VNFMIgnored: the VNFM let a notification go unanswered, by Behavior.
type VNFMIgnored struct {
	NotificationID string `json:"notificationId"`
	Behavior       string `json:"behavior"`
}

// VNFMWaiting: the VNFM holds its reply back until something happens.
type VNFMWaiting struct {
	NotificationID string `json:"notificationId"`
	For            string `json:"for"`
}

// VNFMError: a VNF control call of the VNFM failed.
type VNFMError struct {
	VNF   string `json:"vnf"`
	Error string `json:"error"`
}

// VNFMCrashed: the VNFM process died (a fault).
type VNFMCrashed struct{}

// VNFMRestarted: the VNFM came back.
type VNFMRestarted struct{}

// --- faults ------------------------------------------------------------------

// FaultInjected: a scenario's fault (or an operator's, By) took effect. Fault
// and Index are always set for a scenario's fault; the rest depend on the
// fault's kind.
type FaultInjected struct {
	Fault             string   `json:"fault"`
	Index             *int     `json:"index,omitempty"`
	By                string   `json:"by,omitempty"`
	For               string   `json:"for,omitempty"`
	VM                string   `json:"vm,omitempty"`
	IgnoreMaintenance *bool    `json:"ignoreMaintenance,omitempty"`
	VNFM              string   `json:"vnfm,omitempty"`
	Deliveries        *int     `json:"deliveries,omitempty"`
	NotificationID    string   `json:"notificationId,omitempty"`
	Factor            *float64 `json:"factor,omitempty"`
	Nodes             []string `json:"nodes,omitempty"`
}

// FaultCleared: a fault's time ran out.
type FaultCleared struct {
	Fault string `json:"fault"`
}

// FaultBootVMFailed: a VM a fault wanted to boot could not be placed.
type FaultBootVMFailed struct {
	Error string `json:"error"`
}

// FaultVNFM: a fault changed the VNFM's behaviour for one notification.
type FaultVNFM struct {
	NotificationID string `json:"notificationId"`
	Behavior       string `json:"behavior"`
}

// FaultNodeCrash: a node (subject) crashed during its upgrade.
type FaultNodeCrash struct{}

// FaultUpgradeFails: a node's upgrade failed.
type FaultUpgradeFails struct{}

// FaultUpgradeHangs: a node's upgrade never ends.
type FaultUpgradeHangs struct{}

// FaultVerifyFails: a node's post-upgrade verification failed.
type FaultVerifyFails struct{}

// --- the harness: HTTP seen on the wire, probes, spec validation ----------

// SpecViolation: a message broke its OpenAPI spec.
type SpecViolation struct {
	Spec    string `json:"spec"`
	Message string `json:"message"`
	Method  string `json:"method"`
	Path    string `json:"path"`
	Status  int    `json:"status"`
	Detail  string `json:"detail"`
}

// HTTPExchange: one request and its answer between the VIM and a VNFM
// (subject: "METHOD /path"). Error is set instead of the response when
// none came.
type HTTPExchange struct {
	From            string    `json:"from"`
	To              string    `json:"to"`
	Method          string    `json:"method"`
	Path            string    `json:"path"`
	RequestHeaders  []string  `json:"requestHeaders"`
	RequestBody     string    `json:"requestBody,omitempty"`
	Ref             string    `json:"ref,omitempty"`
	Error           string    `json:"error,omitempty"`
	Status          int       `json:"status,omitempty"`
	ResponseHeaders *[]string `json:"responseHeaders,omitempty"` // set with the status: a response may have none
	ResponseBody    string    `json:"responseBody,omitempty"`
}

// ProbeExchange: one request a conformance probe (subject: its check) made.
type ProbeExchange struct {
	Case            string    `json:"case"`
	Method          string    `json:"method"`
	URL             string    `json:"url"`
	Path            *string   `json:"path,omitempty"` // the URL's path, "" for a bare base URL
	Want            string    `json:"want,omitempty"`
	Problem         bool      `json:"problem,omitempty"`
	RequestHeaders  []string  `json:"requestHeaders,omitempty"`
	RequestBody     string    `json:"requestBody,omitempty"`
	Error           string    `json:"error,omitempty"`
	Status          int       `json:"status,omitempty"`
	ContentType     *string   `json:"contentType,omitempty"`
	ResponseHeaders *[]string `json:"responseHeaders,omitempty"`
	ResponseBody    string    `json:"responseBody,omitempty"`
}

// ProbeSkipped: a probe that could not run, and why.
type ProbeSkipped struct {
	Reason string `json:"reason"`
}
