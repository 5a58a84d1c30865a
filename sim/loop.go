package sim

import (
	"context"
	"time"
)

// Epoch is where virtual time starts. A fixed instant (not time.Now) keeps
// timestamps inside messages identical from run to run.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Loop is the one event loop that drives the orchestrator, the simulated
// world and the simulated VNFM. Every callback runs on the goroutine that
// called Run, one at a time, so nothing behind it needs a lock.
//
// Events are ordered by time, then by the order they were scheduled; equal
// times therefore run in a deterministic order. In virtual mode time jumps to
// the next event. In real mode the loop waits for the wall clock (divided by
// the speed factor) and also runs work Posted from other goroutines, such as
// HTTP handlers.
type Loop struct {
	start   time.Time
	now     time.Duration
	seq     uint64
	queue   []*item
	stopped bool

	real      bool
	speed     float64
	wallStart time.Time
	inbox     chan func()
	// paused freezes a real-time loop's clock (Pause, Resume); running
	// says Run has begun, before which the clock reads zero.
	paused, running bool
}

type item struct {
	at       time.Duration
	seq      uint64
	fn       func()
	canceled bool
}

// NewVirtualLoop returns a loop on a discrete-event virtual clock.
func NewVirtualLoop() *Loop {
	return &Loop{start: Epoch}
}

// NewRealLoop returns a loop on the wall clock; speed > 1 runs time faster
// (speed 20: a 10-minute node upgrade takes 30 s).
//
// Its clock reads origin + (wall − origin) × speed, where origin is the
// last UTC midnight. At speed 1 that is the wall clock; at any speed, two
// processes started at different moments with the same speed read the same
// time, so a replyBy deadline one of them writes means the same to the
// other.
func NewRealLoop(speed float64) *Loop { return newRealLoop(speed, time.Now().UTC()) }

func newRealLoop(speed float64, wall time.Time) *Loop {
	if speed <= 0 {
		speed = 1
	}
	origin := wall.Truncate(24 * time.Hour)
	start := origin.Add(time.Duration(float64(wall.Sub(origin)) * speed))
	return &Loop{start: start, real: true, speed: speed, wallStart: wall, inbox: make(chan func(), 1024)}
}

// Now is the loop's current instant.
func (l *Loop) Now() time.Time { return l.start.Add(l.now) }

// Elapsed is the time since the loop started.
func (l *Loop) Elapsed() time.Duration { return l.now }

// AfterFunc schedules fn d from now and returns a function that cancels it.
// A negative d counts as zero.
func (l *Loop) AfterFunc(d time.Duration, fn func()) (cancel func()) {
	if d < 0 {
		d = 0
	}
	it := &item{at: l.now + d, seq: l.seq, fn: fn}
	l.seq++
	l.push(it)
	return func() { it.canceled = true }
}

// Post runs fn on the loop as soon as possible. It is the only method that
// may be called from another goroutine, and only on a real-time loop; on a
// virtual loop it must be called from the loop itself.
func (l *Loop) Post(fn func()) {
	if l.real {
		l.inbox <- fn
		return
	}
	l.AfterFunc(0, fn)
}

// Exec runs fn on the loop and returns when it has run: at once on a
// virtual loop (whose only callers are the loop's own callbacks, such as an
// in-process HTTP call), posted and awaited on a real-time loop (an HTTP
// handler on a server goroutine). On a real loop it must not be called from
// the loop itself, and the loop must be running.
func (l *Loop) Exec(fn func()) {
	if !l.real {
		fn()
		return
	}
	done := make(chan struct{})
	l.inbox <- func() {
		defer close(done)
		fn()
	}
	<-done
}

// Stop makes Run return after the current callback. Call it from the loop.
func (l *Loop) Stop() { l.stopped = true }

// Pause freezes a real-time loop's clock, for a person watching the run
// (the demo's pause button): Elapsed stands still and no timer fires until
// Resume. Work posted from other goroutines still runs, at the frozen
// instant, so a request already on the wire gets its answer and nothing
// waiting on the loop (Exec) hangs. Call it on the loop, or before Run: a
// loop paused before it runs stays at zero however long it takes to get
// going, so its time starts at Resume. On a virtual loop it does nothing,
// virtual time having no wall clock to stop.
func (l *Loop) Pause() {
	if !l.real || l.paused {
		return
	}
	if l.running {
		l.advanceToWall()
	}
	l.paused = true
}

// Resume restarts a paused clock from the instant it stopped at: the
// scenario time spent paused is none. Call it on the loop.
func (l *Loop) Resume() {
	if !l.real || !l.paused {
		return
	}
	l.paused = false
	l.rebase()
}

// Paused reports whether the clock is paused. Call it on the loop.
func (l *Loop) Paused() bool { return l.paused }

// SetSpeed changes how fast a real-time loop's clock runs from now on;
// the time already elapsed stays as it was. Call it on the loop.
func (l *Loop) SetSpeed(speed float64) {
	if !l.real || speed <= 0 {
		return
	}
	if !l.paused && l.running {
		l.advanceToWall()
	}
	l.speed = speed
	l.rebase()
}

// Speed is how many times faster than the wall clock a real-time loop
// runs (1 for a virtual loop, whose time does not follow the wall).
func (l *Loop) Speed() float64 {
	if !l.real {
		return 1
	}
	return l.speed
}

// rebase moves the wall-clock origin so that the clock, at the current
// speed, reads now at this wall instant.
func (l *Loop) rebase() {
	l.wallStart = time.Now().Add(-time.Duration(float64(l.now) / l.speed))
}

// Run processes events until Stop is called, the queue is empty (virtual
// mode), the next event lies beyond limit (0: no limit), or ctx ends.
func (l *Loop) Run(ctx context.Context, limit time.Duration) error {
	l.stopped = false
	if l.real {
		return l.runReal(ctx, limit)
	}
	for !l.stopped && len(l.queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := l.pop()
		if it.canceled {
			continue
		}
		if limit > 0 && it.at > limit {
			l.push(it)
			l.now = limit
			return nil
		}
		l.now = it.at
		it.fn()
	}
	return nil
}

func (l *Loop) runReal(ctx context.Context, limit time.Duration) error {
	l.running = true
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !l.stopped {
		// Drop canceled heads so the wait below aims at a live event.
		for len(l.queue) > 0 && l.queue[0].canceled {
			l.pop()
		}
		var wait <-chan time.Time
		if !l.paused && (len(l.queue) > 0 || limit > 0) {
			next := limit
			if len(l.queue) > 0 && (limit == 0 || l.queue[0].at < limit) {
				next = l.queue[0].at
			}
			timer.Reset(max(0, time.Until(l.wallAt(next))))
			wait = timer.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case fn := <-l.inbox:
			if !l.paused {
				l.catchUp()
			}
			fn()
		case <-wait:
			if len(l.queue) == 0 || (limit > 0 && l.queue[0].at > limit) {
				l.now = limit
				return nil
			}
			it := l.pop()
			l.now = max(l.now, it.at)
			it.fn()
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
	return nil
}

func (l *Loop) wallAt(at time.Duration) time.Time {
	return l.wallStart.Add(time.Duration(float64(at) / l.speed))
}

// catchUp brings the clock to the wall, first firing the timers that fell
// due meanwhile: work arriving from another goroutine must not overtake
// events that happened before it did (a select picks among ready cases at
// random).
func (l *Loop) catchUp() {
	target := max(l.now, time.Duration(float64(time.Since(l.wallStart))*l.speed))
	for !l.stopped && len(l.queue) > 0 && l.queue[0].at <= target {
		it := l.pop()
		if it.canceled {
			continue
		}
		l.now = max(l.now, it.at)
		it.fn()
	}
	l.now = max(l.now, target)
}

// advanceToWall moves virtual time to the wall clock, but never past the
// next scheduled event, so events still run in order.
func (l *Loop) advanceToWall() {
	t := time.Duration(float64(time.Since(l.wallStart)) * l.speed)
	if len(l.queue) > 0 && l.queue[0].at < t {
		t = l.queue[0].at
	}
	if t > l.now {
		l.now = t
	}
}

func less(a, b *item) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (l *Loop) push(it *item) {
	l.queue = append(l.queue, it)
	i := len(l.queue) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(l.queue[i], l.queue[p]) {
			break
		}
		l.queue[i], l.queue[p] = l.queue[p], l.queue[i]
		i = p
	}
}

func (l *Loop) pop() *item {
	q := l.queue
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = nil
	q = q[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(q[c+1], q[c]) {
			c++
		}
		if !less(q[c], q[i]) {
			break
		}
		q[i], q[c] = q[c], q[i]
		i = c
	}
	l.queue = q
	return top
}
