package event

// Values some fields take, declared here so that a reader of the trace
// (a report drawing it) can compare against them without importing the
// orchestrator that writes them; the orchestrator's constants refer to
// these, so each value is spelled once.

// Statuses of a node in an upgrade session (NodeStatus.Status).
const (
	StatusMaintenance = "maintenance"
	StatusDone        = "done"
	StatusFailed      = "failed"
	StatusRolledBack  = "rolled-back"
)

// Notification types the VIM sends a VNFM (VNFMNotify.Type, VNFMReceived.Type).
const (
	TypeMaintenance   = "MaintenanceNotification"
	TypeNodeAvailable = "NodeAvailableNotification"
	TypeSessionStatus = "SessionStatusNotification"
)
