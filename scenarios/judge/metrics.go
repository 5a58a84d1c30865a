package judge

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/event/replay"
	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// Metric names. Durations are in seconds; everything else is a count
// (lost requests may be fractional).
const (
	MetricLostRequests     = "lostRequests"     // requests lost over all services (service.summary)
	MetricInterruptions    = "interruptions"    // service.interruption events
	MetricMaxInterruption  = "maxInterruption"  // the longest service interruption (0 when none)
	MetricUpgradeDuration  = "upgradeDuration"  // session.created → the session's final state; absent when it never ended
	MetricNotifications    = "notifications"    // vnfm.notify events, of every type
	MetricReplies          = "replies"          // vnfm.reply events, accepted or not
	MetricRejectedReplies  = "rejectedReplies"  // vnfm.reply events the orchestrator refused (accepted: false)
	MetricMigrations       = "migrations"       // vm.migrating events (live and cold)
	MetricDeliveryAttempts = "deliveryAttempts" // delivery.attempt events
	MetricDeliveryFailures = "deliveryFailures" // delivery.failed events
	MetricSpecViolations   = "specViolations"   // spec.violation events
	MetricNodesUpgraded    = "nodesUpgraded"    // nodes with a node.version event to the session's target version

	// MetricReplyLatency prefixes the statistics of the time from a
	// MaintenanceNotification (vnfm.notify) to the first accepted vnfm.reply
	// with its notificationId: replyLatency.p50 ... replyLatency.avg. They
	// are absent when no notification got an accepted reply.
	MetricReplyLatency = "replyLatency"
	// MetricLostPrefix prefixes the per-service loss: lostRequests.<service>,
	// one per service.summary in the trace.
	MetricLostPrefix = MetricLostRequests + "."
)

// replyLatencyStats are the statistics of replyLatency, with the
// percentile each stands for (0 for max and avg).
var replyLatencyStats = []struct {
	name string
	p    float64
}{{"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"max", 0}, {"avg", 0}}

// MetricNames lists every metric name but the per-service
// lostRequests.<service>, sorted.
var MetricNames = func() []string {
	out := []string{
		MetricLostRequests, MetricInterruptions, MetricMaxInterruption, MetricUpgradeDuration,
		MetricNotifications, MetricReplies, MetricRejectedReplies, MetricMigrations,
		MetricDeliveryAttempts, MetricDeliveryFailures, MetricSpecViolations, MetricNodesUpgraded,
	}
	for _, s := range replyLatencyStats {
		out = append(out, MetricReplyLatency+"."+s.name)
	}
	sort.Strings(out)
	return out
}()

// MetricIsDuration tells whether a metric is a duration (in seconds).
func MetricIsDuration(name string) bool {
	return name == MetricMaxInterruption || name == MetricUpgradeDuration ||
		strings.HasPrefix(name, MetricReplyLatency+".")
}

// FormatMetric renders a metric's value for people: a duration as Go
// writes it, rounded to the millisecond ("1.5s", "31m34s"), a count as a
// plain number with at most three decimals.
func FormatMetric(name string, v float64) string {
	if MetricIsDuration(name) {
		return fmtSeconds(v)
	}
	return spec.FormatNumber(v)
}

func fmtSeconds(v float64) string {
	d := time.Duration(math.Round(v * float64(time.Second)))
	if d >= time.Millisecond || d <= -time.Millisecond {
		d = d.Round(time.Millisecond)
	}
	return d.String()
}

// Metrics computes every metric of a trace from its events alone. A metric
// with nothing to measure is absent (see the Metric constants).
func Metrics(events []escalator.Event) map[string]float64 {
	return computeMetrics(events, nil).values
}

// SortedMetricNames returns the names in m, sorted.
func SortedMetricNames(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for name := range m {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// metricSet is the metrics of a trace with, per metric, the events that
// show its value (a threshold's violation cites them).
type metricSet struct {
	values   map[string]float64
	evidence map[string][]escalator.Event
}

// latencySample is one answered maintenance notification.
type latencySample struct {
	seconds       float64
	notify, reply escalator.Event
}

// evidenceCap bounds the events a count metric cites.
const evidenceCap = 3

// computeMetrics measures a trace. w is its world as it ended, nil to
// replay it here.
func computeMetrics(events []escalator.Event, w *replay.World) *metricSet {
	if w == nil {
		w = replay.New()
		for _, e := range events {
			w.Apply(e)
		}
	}
	ms := &metricSet{values: map[string]float64{}, evidence: map[string][]escalator.Event{}}
	count := func(name string, e escalator.Event) {
		ms.values[name]++
		if len(ms.evidence[name]) < evidenceCap {
			ms.evidence[name] = append(ms.evidence[name], e)
		}
	}
	for _, name := range []string{
		MetricLostRequests, MetricInterruptions, MetricMaxInterruption, MetricNotifications,
		MetricReplies, MetricRejectedReplies, MetricMigrations, MetricDeliveryAttempts,
		MetricDeliveryFailures, MetricSpecViolations, MetricNodesUpgraded,
	} {
		ms.values[name] = 0
	}

	var (
		created, final *escalator.Event
		target         string
		upgraded       = map[string]bool{}
	)
	for _, e := range events {
		switch e.Kind {
		case "service.summary":
			lost := evt[event.ServiceSummary](e).Lost
			ms.values[MetricLostRequests] += lost
			ms.values[MetricLostPrefix+e.Subject] += lost
			ms.evidence[MetricLostPrefix+e.Subject] = append(ms.evidence[MetricLostPrefix+e.Subject], e)
			if lost > 0 {
				ms.evidence[MetricLostRequests] = append(ms.evidence[MetricLostRequests], e)
			}
		case "service.interruption":
			count(MetricInterruptions, e)
			d, _ := time.ParseDuration(evt[event.ServiceInterruption](e).Duration)
			if s := d.Seconds(); s > ms.values[MetricMaxInterruption] {
				ms.values[MetricMaxInterruption] = s
				ms.evidence[MetricMaxInterruption] = []escalator.Event{e}
			}
		case "session.created":
			if created == nil {
				created = &e
				target = evt[event.SessionCreated](e).TargetVersion
			}
		case "session.state":
			if created != nil && final == nil && e.Subject == created.Subject && event.Terminal(evt[event.SessionState](e).State) {
				final = &e
			}
		case "vnfm.notify":
			count(MetricNotifications, e)
		case "vnfm.reply":
			count(MetricReplies, e)
			if !evt[event.VNFMReply](e).Accepted {
				count(MetricRejectedReplies, e)
			}
		case "vm.migrating":
			count(MetricMigrations, e)
		case "delivery.attempt":
			count(MetricDeliveryAttempts, e)
		case "delivery.failed":
			count(MetricDeliveryFailures, e)
		case "spec.violation":
			count(MetricSpecViolations, e)
		case "node.version":
			if target != "" && evt[event.NodeVersion](e).To == target && !upgraded[e.Subject] {
				upgraded[e.Subject] = true
				count(MetricNodesUpgraded, e)
			}
		}
	}
	// Losses are recorded to three decimals; keep their sums there too.
	for name, v := range ms.values {
		if name == MetricLostRequests || strings.HasPrefix(name, MetricLostPrefix) {
			ms.values[name] = math.Round(v*1000) / 1000
		}
	}
	if created != nil && final != nil {
		ms.values[MetricUpgradeDuration] = (final.At - created.At).Seconds()
		ms.evidence[MetricUpgradeDuration] = []escalator.Event{*created, *final}
	}
	var samples []latencySample
	for _, n := range w.Notifications() {
		if n.Notify.Type == event.TypeMaintenance && n.Accepted != nil {
			samples = append(samples, latencySample{(n.Accepted.At - n.Event.At).Seconds(), n.Event, *n.Accepted})
		}
	}
	// In the order they were answered, which breaks ties between equal
	// latencies.
	slices.SortFunc(samples, func(a, b latencySample) int { return cmp.Compare(a.reply.Seq, b.reply.Seq) })
	ms.latencies(samples)
	return ms
}

// latencies fills replyLatency.*: percentiles by the nearest-rank method
// (the smallest sample with at least p% of the samples at or below it), so
// each is a latency that was actually seen, cited with its notification
// and reply.
func (ms *metricSet) latencies(samples []latencySample) {
	if len(samples) == 0 {
		return
	}
	slices.SortStableFunc(samples, func(a, b latencySample) int {
		switch {
		case a.seconds < b.seconds:
			return -1
		case a.seconds > b.seconds:
			return 1
		}
		return 0
	})
	values := make([]float64, len(samples))
	sum := 0.0
	for i, s := range samples {
		values[i] = s.seconds
		sum += s.seconds
	}
	slowest := samples[len(samples)-1]
	for _, st := range replyLatencyStats {
		name := MetricReplyLatency + "." + st.name
		s := slowest
		switch st.name {
		case "avg":
			ms.values[name] = sum / float64(len(samples))
		case "max":
			ms.values[name] = slowest.seconds
		default:
			i := percentileIndex(len(values), st.p)
			s = samples[i]
			ms.values[name] = values[i]
		}
		ms.evidence[name] = []escalator.Event{s.notify, s.reply}
	}
}

// percentileIndex is the nearest-rank index of the p-th percentile among n
// sorted samples: ceil(p/100 × n) − 1, within [0, n−1].
func percentileIndex(n int, p float64) int {
	i := int(math.Ceil(p/100*float64(n))) - 1
	return min(max(i, 0), n-1)
}

// absent explains why a metric has no value.
func (ms *metricSet) absent(name string) string {
	switch {
	case strings.HasPrefix(name, MetricReplyLatency+".") && slices.Contains(MetricNames, name):
		return "no accepted replies to a maintenance notification"
	case name == MetricUpgradeDuration:
		return "the session never reached a final state"
	case strings.HasPrefix(name, MetricLostPrefix):
		return "no service " + strings.TrimPrefix(name, MetricLostPrefix) + " in the trace"
	}
	return "unknown metric"
}
