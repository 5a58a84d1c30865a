package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// puppeteerCore is the npm package, at the version .ci/run installs, that
// drives Firefox over WebDriver BiDi (chromedp speaks only the Chrome
// DevTools protocol).
const puppeteerCore = "puppeteer-core@24.43.1"

// firefoxDriver finds Debian's Firefox and a Node.js that can load
// puppeteer-core (installed globally), or skips the test.
func firefoxDriver(t *testing.T) (firefox string, env []string) {
	t.Helper()
	for _, p := range []string{"/usr/bin/firefox-esr", "/usr/bin/firefox"} {
		if _, err := os.Stat(p); err == nil {
			firefox = p
			break
		}
	}
	if firefox == "" {
		t.Skip("Firefox is not installed (apt-get install firefox-esr); skipping the Firefox test")
	}
	root, err := exec.Command("npm", "root", "-g").Output()
	if err != nil {
		t.Skipf("npm is not installed (%v); skipping the Firefox test", err)
	}
	env = append(os.Environ(), "NODE_PATH="+strings.TrimSpace(string(root)))
	probe := exec.Command("node", "-e", "require.resolve('puppeteer-core')")
	probe.Env = env
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("puppeteer-core is not installed (npm install -g %s): %s", puppeteerCore, out)
	}
	return firefox, env
}

// TestDemoInFirefox drives the dashboard in headless Firefox as
// TestDemoInBrowser does in Chromium, with the same page expressions: the
// nodes appear and change, the space bar pauses (nothing moves) and
// resumes, an injected fault and the orchestrator's reaction appear in the
// sequence, and the page logs no error or warning on the way.
func TestDemoInFirefox(t *testing.T) {
	firefox, env := firefoxDriver(t)
	d := startDemo(t, "--speed", "150")
	shot := filepath.Join(demoArtefacts(t), "demo-firefox.png")
	cfg, err := json.Marshal(map[string]string{
		"url": d.url, "firefox": firefox, "shot": shot, "signature": pageSignature,
		"faultSeq": seqOf("fault.injected", "silent"), "ignoredSeq": seqOf("vnfm.ignored", ""),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join("testdata", "demo-firefox.cjs"), string(cfg))
	cmd.Env = append(env, "HOME="+t.TempDir()) // Firefox writes its profile under HOME
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the Firefox run failed:\n%s\ndemo stderr:\n%s", out, d.errs)
	require.True(t, strings.HasSuffix(strings.TrimSpace(string(out)), "ok"), "%s", out)
	t.Logf("%s\nscreenshot: %s", strings.TrimSpace(string(out)), shot)
}
