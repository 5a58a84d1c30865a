package openapi

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// generated maps each generated package to the spec it comes from.
var generated = []struct{ pkg, spec string }{
	{"vimapi", VIMMaintenance},
	{"vnfmapi", VNFMNotification},
	{"vnfctlapi", VNFControl},
}

// TestGeneratedCodeIsFresh regenerates each package into a temporary file
// with the same pinned oapi-codegen (go tool, from go.mod) and the same
// config, and compares it with the committed file. It runs offline: the
// tool's module must be in the module cache already, which `make test`
// sees to (`go mod download` before the tests).
func TestGeneratedCodeIsFresh(t *testing.T) {
	gobin := goCommand(t)
	tmp := t.TempDir()
	// Sequential on purpose: the first run builds oapi-codegen into the
	// build cache, the others reuse it.
	for _, g := range generated {
		want, committed := regenerate(t, gobin, tmp, g.pkg, g.spec+".yaml")
		if err := sameAsCommitted(g.pkg, committed, g.spec, want); err != nil {
			t.Error(err)
		}
	}
}

// TestFreshnessCheckSeesAnEditedSpec is the freshness check's own negative
// control: a spec edited without regenerating the package must be caught.
func TestFreshnessCheckSeesAnEditedSpec(t *testing.T) {
	gobin := goCommand(t)
	tmp := t.TempDir()
	spec, err := os.ReadFile(VIMMaintenance + ".yaml")
	require.NoError(t, err)
	const title = "title: escalator VIM maintenance API"
	require.Contains(t, string(spec), title)
	edited := filepath.Join(tmp, "edited.yaml")
	require.NoError(t, os.WriteFile(edited,
		[]byte(strings.Replace(string(spec), title, title+" (edited)", 1)), 0o644))

	want, committed := regenerate(t, gobin, tmp, "vimapi", edited)
	err = sameAsCommitted("vimapi", committed, VIMMaintenance, want)
	require.Error(t, err)
	require.Contains(t, err.Error(), "vimapi/vimapi.gen.go is stale")
}

func goCommand(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	return gobin
}

// regenerate runs oapi-codegen for pkg with its own cfg.yaml on spec (a
// path relative to this folder, or absolute), into tmp, and returns what it
// generated and the name of the committed file it is to match.
func regenerate(t *testing.T, gobin, tmp, pkg, spec string) (out []byte, committed string) {
	t.Helper()
	cfgData, err := os.ReadFile(filepath.Join(pkg, "cfg.yaml"))
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal(cfgData, &cfg), "%s/cfg.yaml", pkg)
	committed, _ = cfg["output"].(string)
	require.NotEmpty(t, committed, "%s/cfg.yaml has no output", pkg)
	outPath := filepath.Join(tmp, pkg+".gen.go")
	cfg["output"] = outPath
	tmpCfg := filepath.Join(tmp, pkg+".cfg.yaml")
	data, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(tmpCfg, data, 0o644))
	if !filepath.IsAbs(spec) {
		spec = "../" + spec
	}

	// The same command as the go:generate line in <pkg>/doc.go.
	cmd := exec.Command(gobin, "tool", "oapi-codegen", "-config", tmpCfg, spec)
	cmd.Dir = pkg
	// Offline: a module missing from the cache fails at once instead of
	// reaching for the network.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local")
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s: oapi-codegen failed (run `go mod download` first, as `make test` does):\n%s", pkg, msg)
	out, err = os.ReadFile(outPath)
	require.NoError(t, err)
	return out, committed
}

// sameAsCommitted says whether the committed generated file of pkg is
// what oapi-codegen generates now from spec.
func sameAsCommitted(pkg, committed, spec string, generated []byte) error {
	got, err := os.ReadFile(filepath.Join(pkg, committed))
	if err != nil {
		return fmt.Errorf("%s: %v; run go generate ./openapi/...", pkg, err)
	}
	if !bytes.Equal(got, generated) {
		return fmt.Errorf("%s/%s is stale: it differs from what oapi-codegen generates from %s.yaml; run go generate ./openapi/...",
			pkg, committed, spec)
	}
	return nil
}
