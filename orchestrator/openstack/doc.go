// Package openstack implements the orchestrator's CloudManager and
// SystemSupport ports on a real OpenStack cloud, through Nova's compute
// API and gophercloud v2, so that the Upgrade Manager that drives the
// simulated NFVI drives a real one unchanged. It imports nothing from the
// simulator.
//
// The mapping:
//
//   - A node is a nova-compute service (its host); its capacity is its
//     hypervisors'. A service that is down is a failed node.
//   - Maintenance is the service disabled (PUT /os-services/{id},
//     microversion 2.53+) with a disabled_reason that starts "escalator"
//     and names the session. Nova's scheduler then places nothing there;
//     nothing else (no placement trait, no aggregate) is involved, so no
//     path to the scheduler bypasses it. A service disabled for another
//     reason is someone else's: it is never enabled again by us.
//   - A node's VMs are its servers, of every project
//     (GET /servers/detail?host=H&all_tenants=1). Server metadata binds a
//     server to the testbed: escalator_vm (its ID in the trace),
//     escalator_vnf, escalator_vnfm, escalator_group.
//   - A migration is os-migrateLive, or migrate followed by confirmResize
//     once Nova shows VERIFY_RESIZE. Its end is read from Nova's migration
//     record (GET /os-migrations?instance_uuid=): completed or confirmed is
//     success; error, failed or cancelled is a failure carrying the
//     record's status and the server's fault. The record goes into the
//     trace (nova.migration) with the window between its creation and its
//     last update: Nova records no blackout of its own, and that window
//     bounds it.
//   - A node is back to normal when its service is enabled again.
//
// System support runs an Installer per node: Command runs an operator's
// command line (`ssh {host} ...`), records its exit code, duration,
// timeout and the last bytes of its output in the trace (node.command),
// and kills its whole process group on timeout. AggregateVersion, for
// tests and demos, installs nothing and records the new version where the
// cloud shows it: the metadata key escalator_version of a host aggregate
// of the host's own, escalator-version-HOST. Aggregate metadata is the
// place because it is Nova's own admin-only, per-host key/value store,
// visible in `openstack aggregate show` and readable by the scheduler's
// aggregate filters, and it outlives our process, so a second run or a
// resumed one reads the version the first one wrote. The other candidate,
// the compute service's version field, is Nova's RPC object version: each
// nova-compute overwrites it with its own on every report, and only a
// database write could change it. Either installer's verification also
// requires Nova to report the host's nova-compute service up.
//
// The ports are called on the orchestrator's one goroutine (the event
// loop), which must never wait on the network. The Cloud therefore
// answers Nodes and VMsOn from its own view, read once by New and kept
// current by its own operations, and does every request to Nova on other
// goroutines: requests that change the cloud one at a time in the order
// they were made (a host is disabled before a server moves off it), waits
// for Nova beside them. Each outcome comes back through Config.Post, the
// real-time loop's Post, as every HTTP reply of a real-time run does, and
// only there does it change the view, emit events and call the
// orchestrator back. A late outcome (an upgrade the Manager already
// declared hung) is recognised by a per-node operation counter and
// dropped, as the simulator does.
//
// What it will not do: create, delete or resize servers (the tests delete
// only the servers they booted); touch a host outside the session or a
// service disabled by someone else; notice changes others make to the
// cloud while a session runs (the view is the one read at start plus our
// own operations); speed time up.
package openstack
