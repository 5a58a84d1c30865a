package scenarios

// The language moved to scenarios/spec; these aliases keep the old names
// compiling while callers move over.

import "github.com/escalator-testbed/escalator/scenarios/spec"

type (
	AssertionSpec     = spec.AssertionSpec
	CheckSpec         = spec.CheckSpec
	ClockSpec         = spec.ClockSpec
	ConformanceSpec   = spec.ConformanceSpec
	Duration          = spec.Duration
	EventMatcher      = spec.EventMatcher
	ExpectSpec        = spec.ExpectSpec
	FaultSpec         = spec.FaultSpec
	FlavorSpec        = spec.FlavorSpec
	LiveMigrationSpec = spec.LiveMigrationSpec
	MaintenanceLimits = spec.MaintenanceLimits
	NFVISpec          = spec.NFVISpec
	NodeSpec          = spec.NodeSpec
	NodesSpec         = spec.NodesSpec
	Rate              = spec.Rate
	Scenario          = spec.Scenario
	UpgradeSpec       = spec.UpgradeSpec
	VNFMSpec          = spec.VNFMSpec
	VNFSpec           = spec.VNFSpec
	WindowSpec        = spec.WindowSpec
)

const (
	ModeActiveStandby      = spec.ModeActiveStandby
	ModeLoadBalanced       = spec.ModeLoadBalanced
	MigrationLive          = spec.MigrationLive
	MigrationCold          = spec.MigrationCold
	MigrationNone          = spec.MigrationNone
	BehaviorReference      = spec.BehaviorReference
	BehaviorSilent         = spec.BehaviorSilent
	BehaviorLate           = spec.BehaviorLate
	BehaviorNack           = spec.BehaviorNack
	BehaviorAckWithoutMove = spec.BehaviorAckWithoutMove
	BehaviorMalformed      = spec.BehaviorMalformed
	FlowF1                 = spec.FlowF1
	FlowF2                 = spec.FlowF2
	FlowNaive              = spec.FlowNaive
	OnNackFail             = spec.OnNackFail
	OnNackSkip             = spec.OnNackSkip
	OutcomeCompleted       = spec.OutcomeCompleted
	OutcomeRollback        = spec.OutcomeRollback
	OutcomeFailed          = spec.OutcomeFailed
	OutcomeRefused         = spec.OutcomeRefused
	ThresholdPrefix        = spec.ThresholdPrefix
	AssertPrefix           = spec.AssertPrefix
	AssertOrder            = spec.AssertOrder
	AssertNever            = spec.AssertNever
	AssertWithin           = spec.AssertWithin
	AssertCount            = spec.AssertCount
	FaultUpgradeFails      = spec.FaultUpgradeFails
	FaultUpgradeHangs      = spec.FaultUpgradeHangs
	FaultVerifyFails       = spec.FaultVerifyFails
	FaultNodeCrash         = spec.FaultNodeCrash
	FaultNodeFails         = spec.FaultNodeFails
	FaultBootVM            = spec.FaultBootVM
	FaultMigrationFails    = spec.FaultMigrationFails
	FaultMigrationSlow     = spec.FaultMigrationSlow
	FaultVNFMSilent        = spec.FaultVNFMSilent
	FaultVNFMLate          = spec.FaultVNFMLate
	FaultVNFMNack          = spec.FaultVNFMNack
	FaultVNFMAckNoMove     = spec.FaultVNFMAckNoMove
	FaultVNFMDuplicate     = spec.FaultVNFMDuplicate
	FaultVNFMWrongState    = spec.FaultVNFMWrongState
	FaultVNFMCrash         = spec.FaultVNFMCrash
	FaultNotify5xx         = spec.FaultNotify5xx
	FaultNotifyTwice       = spec.FaultNotifyTwice
	FaultVIMDown           = spec.FaultVIMDown
)

var loadFormatNumber = spec.FormatNumber
