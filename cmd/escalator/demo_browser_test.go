package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

var updateDemoScreenshot = flag.Bool("update-demo-screenshot", false,
	"write ../../docs/demo.png, a screenshot of the demo dashboard mid-run (needs /usr/bin/chromium)")

// demoChromium is where Debian's chromium package puts the browser.
const demoChromium = "/usr/bin/chromium"

// demoArtefacts is where the browser test leaves its screenshot:
// $ESCALATOR_ARTEFACTS, else escalator-artefacts in the temporary folder.
func demoArtefacts(t *testing.T) string {
	dir := os.Getenv("ESCALATOR_ARTEFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "escalator-artefacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// demoBrowser starts headless Chromium at a projector's 1920×1080, or
// skips the test when it is not installed.
func demoBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(demoChromium); err != nil {
		t.Skipf("%s is not installed (apt-get install chromium); skipping the browser test", demoChromium)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(demoChromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1920, 1080),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080)), "starting %s", demoChromium)
	return ctx
}

// page is the dashboard open in the browser.
type page struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	log []string // console messages and exceptions
	req []string // every URL the page asked for
}

func openPage(t *testing.T, ctx context.Context, url string) *page {
	t.Helper()
	p := &page{t: t, ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			p.mu.Lock()
			p.req = append(p.req, e.Request.URL)
			p.mu.Unlock()
		}
	}))
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	messages := chromedp.Console(lctx)
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.log = append(p.log, m.String())
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url)))
	return p
}

// eval evaluates a JavaScript expression.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	require.NoError(p.t, err, js)
	return v
}

// wait polls a JavaScript condition until it holds.
func (p *page) wait(what, js string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for !eval[bool](p, js) {
		if time.Now().After(deadline) {
			p.t.Fatalf("waited %s for %s (%s); status %q", within, what, js, eval[string](p, `document.getElementById("status").textContent`))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, actions...))
}

// What the page shows, in one string: the clock, each node's state and
// version, each VM's role and state, and how many messages.
const pageSignature = `document.getElementById("clock").textContent + " | " +
  [...document.querySelectorAll("[data-node]")].map(n => n.dataset.node + "=" + n.dataset.state + "@" + n.dataset.version + "[" +
    [...n.querySelectorAll("[data-vm]")].map(v => v.dataset.vm + ":" + v.textContent).join(",") + "]").join(" ") +
  " | rows " + document.querySelectorAll("#sequence .msg").length`

// seqOf is the trace position of the first message row of a kind whose
// text contains text (-1: none yet).
func seqOf(kind, text string) string {
	return fmt.Sprintf(`(() => { const r = [...document.querySelectorAll('#sequence .msg[data-kind="%s"]')].find(r => r.textContent.includes(%q)); return r ? Number(r.dataset.seq) : -1; })()`, kind, text)
}

// TestDemoInBrowser runs `escalator demo` on a free loopback port and
// drives the dashboard in headless Chromium as a presenter would: the page
// loads and the nodes appear, their states change, pause stops every
// change (and a reloaded page catches up from the trace), the keyboard
// resumes, injected faults show in the sequence with the orchestrator's
// reaction after them, and a restart with another scenario and seed waits
// for Start. The console stays clean, the page asks for nothing but the
// demo's own server, and a screenshot is left as an artefact.
func TestDemoInBrowser(t *testing.T) {
	ctx := demoBrowser(t)
	d := startDemo(t, "--speed", "150")
	began := time.Now()
	p := openPage(t, ctx, d.url)

	p.wait("eight nodes", `document.querySelectorAll("[data-node]").length === 8`, 10*time.Second)
	require.Equal(t, "demo-f1-showcase", eval[string](p, `document.getElementById("run-scenario").textContent`))
	p.wait("the upgrade to start on its own", `document.getElementById("status").textContent === "running"`, 10*time.Second)
	p.wait("a node to leave service", `[...document.querySelectorAll("[data-node]")].some(n => n.dataset.state !== "normal")`, 10*time.Second)
	t.Logf("the flow started %s after the page opened", time.Since(began).Round(time.Millisecond))
	require.Equal(t, 8, eval[int](p, `document.querySelectorAll("[data-node] .node-version").length`), "each node shows its version")
	require.Positive(t, eval[int](p, `document.querySelectorAll("[data-vm][data-role=active]").length`), "VMs show their role")
	require.Equal(t, "step", eval[string](p, `document.querySelector("#steps li.now").getAttribute("aria-current")`), "the current step stands out")

	// States change over time.
	first := eval[string](p, pageSignature)
	p.wait("the page to change", pageSignature+` !== `+jsString(first), 15*time.Second)
	p.wait("a node to finish its upgrade", `[...document.querySelectorAll("[data-node]")].some(n => n.dataset.state === "upgraded")`, 15*time.Second)

	// Pause from the keyboard: Enter on the focused Pause button.
	p.do(chromedp.Evaluate[chromedp.Void](`document.getElementById("pause").focus()`), chromedp.KeyEvent("\r"))
	p.wait("paused", `document.getElementById("status").textContent === "paused"`, 5*time.Second)
	// A message already on the wire lands; then nothing moves.
	still := p.settle()
	end := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(end) {
		require.Equal(t, still, eval[string](p, pageSignature), "the page changed while paused")
		time.Sleep(100 * time.Millisecond)
	}
	// A browser that connects afresh (here: a reload) catches up from the
	// trace and shows the same.
	p.do(chromedp.Reload())
	p.wait("the reloaded page to catch up", pageSignature+` === `+jsString(still), 10*time.Second)

	// Resume with the space bar.
	p.do(chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`), chromedp.KeyEvent(" "))
	p.wait("running again", `document.getElementById("status").textContent === "running"`, 5*time.Second)
	p.wait("the clock to move again", `document.getElementById("clock").textContent !== `+jsString(strings.SplitN(still, " |", 2)[0]), 5*time.Second)

	// Faults: the VNFM goes silent, the next node's upgrade fails.
	// The waits are as long as the others': under a loaded make test (every
	// package's tests at once on two cores) the browser once took over 5 s
	// to draw the row.
	// A button is disabled while a control request is in flight, and the
	// resume above may still be waiting for its answer when the page
	// already shows the run going (the event stream is quicker): a click
	// on it then does nothing. Click only an enabled button.
	p.wait("the fault buttons to be enabled", `!document.getElementById("fault-vnfm-silent").disabled`, 15*time.Second)
	p.do(chromedp.Click("#fault-vnfm-silent"))
	p.wait("the injected silence in the sequence", seqOf("fault.injected", "silent")+` > 0`, 15*time.Second)
	p.wait("the fault buttons to be enabled again", `!document.getElementById("fault-upgrade-fails").disabled`, 15*time.Second)
	p.do(chromedp.Click("#fault-upgrade-fails"))
	p.wait("the injected failure in the sequence", seqOf("fault.injected", "fail")+` > 0`, 15*time.Second)
	p.wait("the VNFM to ignore a notification", seqOf("vnfm.ignored", "")+` > 0`, 20*time.Second)
	p.wait("the orchestrator to go on at its deadline", seqOf("vnfm.reply-timeout", "")+` > `+seqOf("vnfm.ignored", ""), 10*time.Second)
	if *updateDemoScreenshot {
		shot := p.screenshot()
		out := filepath.Join("..", "..", "docs", "demo.png")
		require.NoError(t, os.WriteFile(out, shot, 0o644))
		t.Logf("wrote %s (%d bytes)", out, len(shot))
	}
	p.wait("the installation to fail", seqOf("fault.upgrade-fails", "")+` > `+seqOf("fault.injected", "fail"), 20*time.Second)
	p.wait("the orchestrator to roll back", seqOf("session.state", "ROLLING_BACK")+` > `+seqOf("fault.upgrade-fails", ""), 10*time.Second)
	require.Equal(t, 1, eval[int](p, `document.querySelectorAll('[data-node][data-state="failed"], [data-node][data-state="maintenance"], [data-node][data-state="upgrading"]').length > 0 ? 1 : 0`))
	require.GreaterOrEqual(t, eval[int](p, `document.querySelectorAll("#milestones .fault").length`), 3, "the faults are milestones of the timeline")
	require.Positive(t, eval[int](p, `document.querySelectorAll("#milestones .reaction").length`), "so is the reaction")
	shot := p.screenshot()
	art := filepath.Join(demoArtefacts(t), "demo-browser.png")
	require.NoError(t, os.WriteFile(art, shot, 0o644))
	t.Logf("screenshot: %s", art)

	// Restart with another scenario and seed: the new run waits for Start.
	p.do(chromedp.SetValue("#scenario", "demo-f2-showcase"), chromedp.SetValue("#seed", "9"), chromedp.Click("#restart"))
	p.wait("the new run", `document.getElementById("run-seed").textContent === "9" && document.getElementById("status").textContent === "ready"`, 10*time.Second)
	require.Equal(t, "demo-f2-showcase", eval[string](p, `document.getElementById("run-scenario").textContent`))
	require.Contains(t, eval[string](p, `document.getElementById("steps-h").textContent`), "F2")
	require.Equal(t, 5, eval[int](p, `document.querySelectorAll("[data-node]").length`))
	require.Zero(t, eval[int](p, seqOf("fault.injected", "")+` > 0 ? 1 : 0`), "the old run's messages are gone")
	require.True(t, eval[bool](p, `document.getElementById("pause").disabled && !document.getElementById("start").disabled`))
	p.do(chromedp.Click("#start"))
	p.wait("the F2 upgrade to start", `[...document.querySelectorAll("[data-node]")].some(n => n.dataset.state !== "normal")`, 10*time.Second)

	p.mu.Lock()
	defer p.mu.Unlock()
	require.Empty(t, p.log, "the page wrote to the console")
	require.NotEmpty(t, p.req)
	for _, u := range p.req {
		require.True(t, strings.HasPrefix(u, d.url+"/") || strings.HasPrefix(u, "data:"), "the page requested %s", u)
	}
	t.Logf("browser test took %s", time.Since(began).Round(time.Millisecond))
}

// settle waits until the page has not changed for half a second and
// returns what it shows.
func (p *page) settle() string {
	p.t.Helper()
	last, since := eval[string](p, pageSignature), time.Now()
	deadline := since.Add(5 * time.Second)
	for time.Since(since) < 500*time.Millisecond {
		require.True(p.t, time.Now().Before(deadline), "the page kept changing while paused")
		time.Sleep(100 * time.Millisecond)
		if now := eval[string](p, pageSignature); now != last {
			last, since = now, time.Now()
		}
	}
	return last
}

func (p *page) screenshot() []byte {
	p.t.Helper()
	shot, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	require.NoError(p.t, err)
	require.True(p.t, bytes.HasPrefix(shot, []byte("\x89PNG")))
	return shot
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	return fmt.Sprintf("%q", s)
}
