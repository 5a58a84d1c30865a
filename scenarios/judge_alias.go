package scenarios

// The judge moved to scenarios/judge; these aliases keep the old names
// compiling while callers move over.

import "github.com/escalator-testbed/escalator/scenarios/judge"

type (
	CheckResult        = judge.CheckResult
	ConformanceSummary = judge.ConformanceSummary
	Evidence           = judge.Evidence
	Exchange           = judge.Exchange
	NodeStatus         = judge.NodeStatus
	Result             = judge.Result
	Session            = judge.Session
	Violation          = judge.Violation
)

const (
	MetricLostRequests     = judge.MetricLostRequests
	MetricInterruptions    = judge.MetricInterruptions
	MetricMaxInterruption  = judge.MetricMaxInterruption
	MetricUpgradeDuration  = judge.MetricUpgradeDuration
	MetricNotifications    = judge.MetricNotifications
	MetricReplies          = judge.MetricReplies
	MetricRejectedReplies  = judge.MetricRejectedReplies
	MetricMigrations       = judge.MetricMigrations
	MetricDeliveryAttempts = judge.MetricDeliveryAttempts
	MetricDeliveryFailures = judge.MetricDeliveryFailures
	MetricSpecViolations   = judge.MetricSpecViolations
	MetricNodesUpgraded    = judge.MetricNodesUpgraded
	MetricReplyLatency     = judge.MetricReplyLatency
	MetricLostPrefix       = judge.MetricLostPrefix
	VerdictNotApplicable   = judge.VerdictNotApplicable
	CheckNotApplicable     = judge.CheckNotApplicable
	CheckPassed            = judge.CheckPassed
	CheckFailed            = judge.CheckFailed
	CheckDisabled          = judge.CheckDisabled
	CheckOutcome           = judge.CheckOutcome
	VerdictPass            = judge.VerdictPass
	VerdictFail            = judge.VerdictFail
	VerdictXFail           = judge.VerdictXFail
	VerdictError           = judge.VerdictError
	SessionRefused         = judge.SessionRefused
)

var (
	CheckNames            = judge.CheckNames
	ConformanceCheckDoc   = judge.ConformanceCheckDoc
	ConformanceCheckNames = judge.ConformanceCheckNames
	ExchangeOf            = judge.ExchangeOf
	FormatMetric          = judge.FormatMetric
	Judge                 = judge.Judge
	MetricIsDuration      = judge.MetricIsDuration
	MetricNames           = judge.MetricNames
	Metrics               = judge.Metrics
	ProbedChecks          = judge.ProbedChecks
	SortedMetricNames     = judge.SortedMetricNames
	SummarizeConformance  = judge.SummarizeConformance
	Verdict               = judge.Verdict
)

// Match is the judge's event matcher.
var Match = judge.Match
