package spec

// Fault kinds. Node faults hit a node's first upgrade attempt; timed faults
// happen once; the others hit occasions (notifications, deliveries,
// migrations) once active. the testbed's registry (scenarios/faultkinds.go) says what each takes and
// does.
const (
	FaultUpgradeFails = "upgrade-fails"
	FaultUpgradeHangs = "upgrade-hangs"
	FaultVerifyFails  = "verify-fails"
	FaultNodeCrash    = "node-crash"
	FaultNodeFails    = "node-fails"
	FaultBootVM       = "boot-vm"

	FaultMigrationFails = "migration-fails"
	FaultMigrationSlow  = "migration-slow"

	FaultVNFMSilent     = "vnfm-silent"
	FaultVNFMLate       = "vnfm-late"
	FaultVNFMNack       = "vnfm-nack"
	FaultVNFMAckNoMove  = "vnfm-ack-without-moving"
	FaultVNFMDuplicate  = "vnfm-duplicate-reply"
	FaultVNFMWrongState = "vnfm-wrong-state-reply"
	FaultVNFMCrash      = "vnfm-crash"
	FaultNotify5xx      = "notify-5xx"
	FaultNotifyTwice    = "notify-duplicate"
	FaultVIMDown        = "vim-down"
)
