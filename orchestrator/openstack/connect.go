package openstack

import (
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	gopenstack "github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/config"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"

	"github.com/escalator-testbed/escalator"
)

// Microversion is the compute API microversion every call uses. 2.53 is
// the floor (services addressed by UUID, PUT /os-services/{id}); 2.56 lets
// a cold migration name its host; 2.79 still reports the hypervisors'
// capacity (2.88 dropped it) and is served by every release since Train.
const Microversion = "2.79"

// Connect authenticates the standard way and returns a compute client at
// Microversion. With cloud set, or OS_CLOUD in the environment, the
// credentials come from clouds.yaml (OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
// ~/.config/openstack, /etc/openstack, as the openstack CLI looks);
// otherwise from the OS_* variables of an openrc file. The token is
// renewed when it expires, since an upgrade can outlast it.
func Connect(ctx context.Context, cloud string) (*gophercloud.ServiceClient, error) {
	var (
		ao     gophercloud.AuthOptions
		eo     gophercloud.EndpointOpts
		tlsCfg *tls.Config
		err    error
	)
	if cloud != "" || os.Getenv("OS_CLOUD") != "" {
		var opts []clouds.ParseOption
		if cloud != "" {
			opts = append(opts, clouds.WithCloudName(cloud))
		}
		ao, eo, tlsCfg, err = clouds.Parse(opts...)
	} else {
		ao, err = gopenstack.AuthOptionsFromEnv()
		eo.Region = os.Getenv("OS_REGION_NAME")
	}
	if err != nil {
		return nil, &escalator.Error{Code: escalator.EINVALID, Op: "openstack credentials",
			Message: "set OS_CLOUD (clouds.yaml) or the OS_* variables of an openrc file", Err: err}
	}
	ao.AllowReauth = true
	// A loaded Nova answers its first calls slowly (14-23 s measured on a
	// busy 2-core machine); a minute bounds a call without cutting those.
	hc := &http.Client{Timeout: time.Minute}
	if tlsCfg != nil {
		hc.Transport = &http.Transport{TLSClientConfig: tlsCfg, Proxy: http.ProxyFromEnvironment}
	}
	pc, err := config.NewProviderClient(ctx, ao, config.WithHTTPClient(*hc))
	if err != nil {
		return nil, &escalator.Error{Code: escalator.EUNAVAILABLE, Op: "openstack authentication", Message: "cannot authenticate with Keystone", Err: err}
	}
	c, err := gopenstack.NewComputeV2(pc, eo)
	if err != nil {
		return nil, &escalator.Error{Code: escalator.EUNAVAILABLE, Op: "openstack catalog", Message: "no compute endpoint in the catalog", Err: err}
	}
	c.Microversion = Microversion
	return c, nil
}
