package event

// Kind names each payload type in the trace. The names are the wire form;
// the Go types are what the compiler checks.

func (DeliveryAttempt) Kind() string { return "delivery.attempt" }

func (DeliveryFailed) Kind() string { return "delivery.failed" }

func (DeliveryNoSubscriber) Kind() string { return "delivery.no-subscriber" }

func (FaultBootVMFailed) Kind() string { return "fault.boot-vm-failed" }

func (FaultCleared) Kind() string { return "fault.cleared" }

func (FaultInjected) Kind() string { return "fault.injected" }

func (FaultNodeCrash) Kind() string { return "fault.node-crash" }

func (FaultUpgradeFails) Kind() string { return "fault.upgrade-fails" }

func (FaultUpgradeHangs) Kind() string { return "fault.upgrade-hangs" }

func (FaultVerifyFails) Kind() string { return "fault.verify-fails" }

func (FaultVNFM) Kind() string { return "fault.vnfm" }

func (HTTPExchange) Kind() string { return "http.exchange" }

func (NodeAdded) Kind() string { return "node.added" }

func (NodeFinal) Kind() string { return "node.final" }

func (NodeState) Kind() string { return "node.state" }

func (NodeStatus) Kind() string { return "node.status" }

func (NodeUpgradeStarted) Kind() string { return "node.upgrade-started" }

func (NodeVersion) Kind() string { return "node.version" }

func (NodeCommand) Kind() string { return "node.command" }

func (NovaMigration) Kind() string { return "nova.migration" }

func (PhaseStarted) Kind() string { return "phase.started" }

func (PlanBatch) Kind() string { return "plan.batch" }

func (PlanLeadTime) Kind() string { return "plan.lead-time" }

func (PlanWait) Kind() string { return "plan.wait" }

func (ProbeExchange) Kind() string { return "probe.exchange" }

func (ProbeSkipped) Kind() string { return "probe.skipped" }

func (ServiceInterruption) Kind() string { return "service.interruption" }

func (ServiceSummary) Kind() string { return "service.summary" }

func (SessionCreated) Kind() string { return "session.created" }

func (SessionDefects) Kind() string { return "session.defects" }

func (SessionRefused) Kind() string { return "session.refused" }

func (SessionState) Kind() string { return "session.state" }

func (OrchestratorRestarted) Kind() string  { return "orchestrator.restarted" }
func (OrchestratorReconciled) Kind() string { return "orchestrator.reconciled" }
func (OrchestratorHalted) Kind() string     { return "orchestrator.halted" }

func (SpecViolation) Kind() string { return "spec.violation" }

func (SubscriptionCreated) Kind() string { return "subscription.created" }

func (SubscriptionDeleted) Kind() string { return "subscription.deleted" }

func (SubscriptionDropped) Kind() string { return "subscription.dropped" }

func (SubscriptionHeld) Kind() string { return "subscription.held" }

func (SubscriptionRefused) Kind() string { return "subscription.refused" }

func (VMBusiness) Kind() string { return "vm.business" }

func (VMDeleted) Kind() string { return "vm.deleted" }

func (VMMigrate) Kind() string { return "vm.migrate" }

func (VMMigrateFinished) Kind() string { return "vm.migrate-finished" }

func (VMMigrateRequested) Kind() string { return "vm.migrate-requested" }

func (VMMigrated) Kind() string { return "vm.migrated" }

func (VMMigrating) Kind() string { return "vm.migrating" }

func (VMMigrationFailed) Kind() string { return "vm.migration-failed" }

func (VMPlaced) Kind() string { return "vm.placed" }

func (VMState) Kind() string { return "vm.state" }

func (VNFDeployed) Kind() string { return "vnf.deployed" }

func (VNFDrain) Kind() string { return "vnf.drain" }

func (VNFDrained) Kind() string { return "vnf.drained" }

func (VNFFailover) Kind() string { return "vnf.failover" }

func (VNFFailoverFailed) Kind() string { return "vnf.failover-failed" }

func (VNFFailoverStarted) Kind() string { return "vnf.failover-started" }

func (VNFMemberRemoved) Kind() string { return "vnf.member-removed" }

func (VNFMemberRestored) Kind() string { return "vnf.member-restored" }

func (VNFScaled) Kind() string { return "vnf.scaled" }

func (VNFStandbySynced) Kind() string { return "vnf.standby-synced" }

func (VNFSwitchover) Kind() string { return "vnf.switchover" }

func (VNFUndrain) Kind() string { return "vnf.undrain" }

func (VNFMAction) Kind() string { return "vnfm.action" }

func (VNFMCrashed) Kind() string { return "vnfm.crashed" }

func (VNFMDuplicate) Kind() string { return "vnfm.duplicate" }

func (VNFMError) Kind() string { return "vnfm.error" }

func (VNFMIgnored) Kind() string { return "vnfm.ignored" }

func (VNFMNotify) Kind() string { return "vnfm.notify" }

func (VNFMReceived) Kind() string { return "vnfm.received" }

func (VNFMReply) Kind() string { return "vnfm.reply" }

func (VNFMReplyRejected) Kind() string { return "vnfm.reply-rejected" }

func (VNFMReplyTimeout) Kind() string { return "vnfm.reply-timeout" }

func (VNFMRestarted) Kind() string { return "vnfm.restarted" }

func (VNFMWaiting) Kind() string { return "vnfm.waiting" }
