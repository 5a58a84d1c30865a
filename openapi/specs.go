package openapi

import (
	"context"
	"embed"
	"fmt"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// The names of the three specs, as Load takes them.
const (
	VIMMaintenance   = "vim-maintenance"
	VNFMNotification = "vnfm-notification"
	VNFControl       = "vnf-control"
)

//go:embed vim-maintenance.yaml vnfm-notification.yaml vnf-control.yaml
var specFS embed.FS

// basePaths are the path prefixes the specs' operations hang under, as
// their servers say.
var basePaths = map[string]string{
	VIMMaintenance:   "/vim_maintenance/v1",
	VNFMNotification: "/vnfm_notification/v1",
	VNFControl:       "/vnf_control/v1",
}

// Names lists the specs Load knows, sorted.
func Names() []string {
	names := make([]string, 0, len(basePaths))
	for n := range basePaths {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Spec returns the YAML text of a spec: "vim-maintenance",
// "vnfm-notification" or "vnf-control".
func Spec(name string) ([]byte, error) {
	if _, ok := basePaths[name]; !ok {
		return nil, fmt.Errorf("openapi: no spec %q (want one of %v)", name, Names())
	}
	return specFS.ReadFile(name + ".yaml")
}

// BasePath returns the path prefix of a spec's operations, e.g.
// /vim_maintenance/v1, or "" for an unknown name. The VNFM notification
// API's real prefix is whatever the subscriber's callbackUri says; the one
// returned is where the reference VNFM serves it.
func BasePath(name string) string {
	return basePaths[name]
}

// Load returns the parsed and validated kin-openapi document of a spec:
// "vim-maintenance", "vnfm-notification" or "vnf-control". Each call
// returns a new document that the caller may change.
//
// doc.Servers is left as the spec writes it: one absolute example URL,
// http://127.0.0.1 plus the base path. A caller that routes requests with a
// kin-openapi router must change it first, or requests to any other host
// will not match: either clear it (doc.Servers = nil) and route the request
// path with BasePath(name) stripped (routers/legacy), or make it
// host-agnostic, which routers/gorillamux matches on any host:
//
//	doc.Servers = openapi3.Servers{{URL: openapi.BasePath(name)}}
func Load(name string) (*openapi3.T, error) {
	data, err := Spec(name)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: parse %s: %w", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: validate %s: %w", name, err)
	}
	return doc, nil
}
