package orchestrator

import (
	"time"

	"github.com/escalator-testbed/escalator/event"
)

// Notification types. The names follow ETSI SOL conventions; the maintenance
// states follow OpenStack Fenix so that existing VNFMs recognise them. The
// types are declared in package event, the trace's vocabulary, so that a
// reader of a trace need not import this package.
const (
	TypeMaintenance   = event.TypeMaintenance
	TypeNodeAvailable = event.TypeNodeAvailable
	TypeSessionStatus = event.TypeSessionStatus
)

// Maintenance states carried in a MaintenanceNotification.
const (
	StatePlannedMaintenance  = "PLANNED_MAINTENANCE"
	StateScaleIn             = "SCALE_IN"
	StateMaintenanceComplete = "MAINTENANCE_COMPLETE"
)

// Per-instance actions a VNFM reports (or requests) in a reply.
const (
	ActionSwitchedOver = event.ActionSwitchedOver
	ActionDrained      = event.ActionDrained
	ActionOwnAction    = event.ActionOwnAction
	ActionMigrate      = event.ActionMigrate
	ActionLiveMigrate  = event.ActionLiveMigrate
)

// Link is an ETSI-style hyperlink.
type Link struct {
	Href string `json:"href"`
}

// AffectedInstance is one VM the notification concerns.
type AffectedInstance struct {
	InstanceID    string `json:"instanceId"`
	VnfInstanceID string `json:"vnfInstanceId"`
	NodeID        string `json:"nodeId"`
}

// Notification is what the VIM sends a VNFM. It is shaped as the JSON
// document the VNFM notification API carries.
type Notification struct {
	ID                string             `json:"id"`
	NotificationType  string             `json:"notificationType"`
	SubscriptionID    string             `json:"subscriptionId,omitempty"`
	TimeStamp         time.Time          `json:"timeStamp"`
	SessionID         string             `json:"sessionId"`
	State             string             `json:"state,omitempty"`
	SessionState      string             `json:"sessionState,omitempty"`
	AffectedNodes     []string           `json:"affectedNodes,omitempty"`
	AffectedInstances []AffectedInstance `json:"affectedInstances,omitempty"`
	AllowedActions    []string           `json:"allowedActions,omitempty"`
	ReplyBy           *time.Time         `json:"replyBy,omitempty"`
	TargetVersion     string             `json:"targetVersion,omitempty"`
	Links             map[string]Link    `json:"_links,omitempty"`
	// fresh: stamped and not yet sent.
	fresh bool
}

// InstanceAction is what a VNFM did, or asks the VIM to do, for one VM.
type InstanceAction struct {
	InstanceID string `json:"instanceId"`
	Action     string `json:"action"`
}

// Reply is a VNFM's answer to a maintenance notification: ACK_<STATE> or
// NACK_<STATE>.
type Reply struct {
	SessionID       string           `json:"sessionId"`
	NotificationID  string           `json:"notificationId"`
	VnfmID          string           `json:"vnfmId"`
	Reply           string           `json:"reply"`
	InstanceActions []InstanceAction `json:"instanceActions,omitempty"`
	Reason          string           `json:"reason,omitempty"`
}
