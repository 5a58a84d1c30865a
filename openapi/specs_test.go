package openapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/openapi/vnfmapi"
)

const mediaProblem = "application/problem+json"

// operations lists every operation of a spec as "METHOD path", sorted, with
// the path item it hangs under.
func operations(doc *openapi3.T) (keys []string, ops map[string]*openapi3.Operation, items map[string]*openapi3.PathItem) {
	ops, items = map[string]*openapi3.Operation{}, map[string]*openapi3.PathItem{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			k := method + " " + path
			keys = append(keys, k)
			ops[k], items[k] = op, item
		}
	}
	sort.Strings(keys)
	return keys, ops, items
}

func TestSpecsLoadAndValidate(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			doc, err := Load(name) // parses and runs doc.Validate
			require.NoError(t, err)
			require.Equal(t, "3.0.3", doc.OpenAPI)
			require.Len(t, doc.Servers, 1)
			require.True(t, strings.HasSuffix(doc.Servers[0].URL, BasePath(name)), "server %s does not end in %s", doc.Servers[0].URL, BasePath(name))

			pd := doc.Components.Schemas["ProblemDetails"]
			require.NotNil(t, pd, "no ProblemDetails schema")
			require.ElementsMatch(t, []string{"status", "detail"}, pd.Value.Required)

			keys, ops, items := operations(doc)
			require.NotEmpty(t, keys)
			ids := map[string]bool{}
			for _, k := range keys {
				op := ops[k]
				require.NotEmpty(t, op.OperationID, "%s: no operationId", k)
				require.False(t, ids[op.OperationID], "%s: operationId %s used twice", k, op.OperationID)
				ids[op.OperationID] = true
				require.NotEmpty(t, op.Summary, "%s: no summary", k)
				require.NotEmpty(t, op.Description, "%s: no description", k)
				require.NotEmpty(t, op.Tags, "%s: no tags", k)

				// The Version request header, required.
				var version *openapi3.Parameter
				for _, p := range append(append(openapi3.Parameters{}, items[k].Parameters...), op.Parameters...) {
					if p.Value.In == openapi3.ParameterInHeader && p.Value.Name == "Version" {
						version = p.Value
					}
				}
				if op.OperationID == "getApiVersions" {
					// SOL013: the version query itself needs no Version.
					require.Nil(t, version, "%s: api_versions must not demand a Version header", k)
				} else {
					require.NotNil(t, version, "%s: no Version header parameter", k)
					require.True(t, version.Required, "%s: the Version header is not required", k)
				}

				// Request bodies reject unknown attributes at every level.
				if rb := op.RequestBody; rb != nil {
					require.True(t, rb.Value.Required, "%s: request body not required", k)
					for mt, media := range rb.Value.Content {
						require.Equal(t, "application/json", mt, "%s", k)
						checkClosed(t, k+" request body", media.Schema, map[*openapi3.Schema]bool{})
					}
				}

				require.NotNil(t, op.Responses)
				for code, resp := range op.Responses.Map() {
					where := k + " " + code
					require.NotEqual(t, "default", code, "%s: use explicit status codes", where)
					status, err := strconv.Atoi(code)
					require.NoError(t, err, where)
					h := resp.Value.Headers
					require.Contains(t, h, "Version", "%s: no Version response header", where)
					require.True(t, h["Version"].Value.Required, "%s: the Version response header is not required", where)
					if status == 201 || status == 303 {
						require.Contains(t, h, "Location", "%s: no Location header", where)
						require.True(t, h["Location"].Value.Required, "%s: Location is not required", where)
					}
					switch {
					case status == 204 || status == 303:
						require.Empty(t, resp.Value.Content, "%s: must have no body", where)
					case status >= 400:
						require.Len(t, resp.Value.Content, 1, "%s", where)
						media := resp.Value.Content.Get(mediaProblem)
						require.NotNil(t, media, "%s: not %s", where, mediaProblem)
						require.Equal(t, "#/components/schemas/ProblemDetails", media.Schema.Ref, "%s: not ProblemDetails", where)
					default:
						media := resp.Value.Content.Get("application/json")
						require.NotNil(t, media, "%s: no application/json body", where)
						// Subscription credentials are write-only.
						require.False(t, hasProperty(media.Schema, "authentication", map[*openapi3.Schema]bool{}),
							"%s: a response carries authentication", where)
					}
				}
				for _, want := range []int{400, 401, 406, 500} {
					require.NotNil(t, op.Responses.Status(want), "%s: %d not documented", k, want)
				}
				if strings.Contains(k, "{") {
					require.NotNil(t, op.Responses.Status(404), "%s: 404 not documented", k)
				}
			}
		})
	}
}

// checkClosed fails when an object schema with properties reachable from s
// does not say additionalProperties: false. Maps (additionalProperties with
// a schema and no properties) are allowed.
func checkClosed(t *testing.T, where string, s *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	t.Helper()
	if s == nil || s.Value == nil || seen[s.Value] {
		return
	}
	v := s.Value
	seen[v] = true
	if s.Ref != "" {
		where += " " + s.Ref
	}
	if len(v.Properties) > 0 {
		ap := v.AdditionalProperties
		require.True(t, ap.Has != nil && !*ap.Has && ap.Schema == nil, "%s: additionalProperties is not false", where)
		names := make([]string, 0, len(v.Properties))
		for n := range v.Properties {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			checkClosed(t, where+"."+n, v.Properties[n], seen)
		}
	}
	if v.AdditionalProperties.Schema != nil {
		checkClosed(t, where+"{}", v.AdditionalProperties.Schema, seen)
	}
	checkClosed(t, where+"[]", v.Items, seen)
	for _, list := range []openapi3.SchemaRefs{v.OneOf, v.AnyOf, v.AllOf} {
		for _, m := range list {
			checkClosed(t, where, m, seen)
		}
	}
}

// hasProperty reports whether a property called name is reachable from s.
func hasProperty(s *openapi3.SchemaRef, name string, seen map[*openapi3.Schema]bool) bool {
	if s == nil || s.Value == nil || seen[s.Value] {
		return false
	}
	v := s.Value
	seen[v] = true
	if _, ok := v.Properties[name]; ok {
		return true
	}
	for _, p := range v.Properties {
		if hasProperty(p, name, seen) {
			return true
		}
	}
	refs := append(append(append(openapi3.SchemaRefs{v.Items, v.AdditionalProperties.Schema}, v.OneOf...), v.AnyOf...), v.AllOf...)
	for _, r := range refs {
		if hasProperty(r, name, seen) {
			return true
		}
	}
	return false
}

func readExample(t *testing.T, name string) (any, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "notifications", name))
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(data, &v))
	return v, data
}

func TestNotificationExamples(t *testing.T) {
	doc, err := Load(VNFMNotification)
	require.NoError(t, err)
	schema := doc.Components.Schemas["VnfmNotification"].Value

	t.Run("valid", func(t *testing.T) {
		for file, typ := range map[string]string{
			"maintenance.json":    "MaintenanceNotification",
			"node-available.json": "NodeAvailableNotification",
			"session-status.json": "SessionStatusNotification",
		} {
			v, data := readExample(t, file)
			require.NoError(t, schema.VisitJSON(v), file)

			// The generated union decodes it as the right type.
			var n vnfmapi.VnfmNotification
			require.NoError(t, json.Unmarshal(data, &n), file)
			d, err := n.Discriminator()
			require.NoError(t, err, file)
			require.Equal(t, typ, d, file)
			got, err := n.ValueByDiscriminator()
			require.NoError(t, err, file)
			switch typ {
			case "MaintenanceNotification":
				m, ok := got.(vnfmapi.MaintenanceNotification)
				require.True(t, ok, "%T", got)
				require.Equal(t, vnfmapi.MaintenanceStatePLANNEDMAINTENANCE, m.State)
				require.False(t, m.ReplyBy.IsZero())
				require.NotNil(t, m.Links.Reply)
			case "NodeAvailableNotification":
				m, ok := got.(vnfmapi.NodeAvailableNotification)
				require.True(t, ok, "%T", got)
				require.Equal(t, []string{"compute-1"}, m.AffectedNodes)
			case "SessionStatusNotification":
				m, ok := got.(vnfmapi.SessionStatusNotification)
				require.True(t, ok, "%T", got)
				require.Equal(t, vnfmapi.UpgradeSessionStateCOMPLETED, m.SessionState)
			}
		}
	})

	t.Run("invalid", func(t *testing.T) {
		for file, why := range map[string]string{
			"invalid-unknown-field.json":   `property "priority" is unsupported`,
			"invalid-missing-replyby.json": `property "replyBy" is missing`,
			"invalid-unknown-type.json":    `discriminator property "notificationType" has invalid value`,
		} {
			v, _ := readExample(t, file)
			err := schema.VisitJSON(v)
			require.Error(t, err, "%s validated", file)
			require.Contains(t, err.Error(), why, file)
		}
	})

	t.Run("from", func(t *testing.T) {
		// From* sets the discriminator, and the result is valid.
		var n vnfmapi.VnfmNotification
		require.NoError(t, n.FromSessionStatusNotification(vnfmapi.SessionStatusNotification{
			ID: "n-1", SubscriptionID: "sub-1", SessionID: "s-1", SessionState: vnfmapi.UpgradeSessionStateRUNNING,
			Links: vnfmapi.NotificationLinks{Subscription: vnfmapi.Link{Href: "/s"}, Session: vnfmapi.Link{Href: "/x"}},
		}))
		data, err := json.Marshal(n)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(data, &v))
		require.NoError(t, schema.VisitJSON(v), "%s", data)
	})
}

// TestRequestBodies checks a valid and an invalid body of each request
// schema: the invalid ones are what the validator must answer 400 to.
func TestRequestBodies(t *testing.T) {
	tests := []struct {
		spec, schema, body string
		valid              bool
	}{
		{VIMMaintenance, "MaintenanceSubscriptionRequest", `{"vnfmId":"vnfm-a","callbackUri":"http://127.0.0.1:9000/vnfm_notification/v1/notifications"}`, true},
		{VIMMaintenance, "MaintenanceSubscriptionRequest", `{"vnfmId":"vnfm-a","callbackUri":"http://127.0.0.1/n","filter":{"notificationTypes":["MaintenanceNotification"],"nodeIds":["compute-1"]},"authentication":{"authType":["BASIC"],"paramsBasic":{"userName":"u","password":"p"}}}`, true},
		{VIMMaintenance, "MaintenanceSubscriptionRequest", `{"vnfmId":"vnfm-a","callbackUri":"http://127.0.0.1/n","verbosity":"FULL"}`, false},
		{VIMMaintenance, "MaintenanceSubscriptionRequest", `{"vnfmId":"vnfm-a","callbackUri":"http://127.0.0.1/n","filter":{"vnfIds":["x"]}}`, false},
		{VIMMaintenance, "MaintenanceSubscriptionRequest", `{"vnfmId":"vnfm-a","callbackUri":"http://127.0.0.1/n","authentication":{"authType":["TLS_CERT"]}}`, false},
		{VIMMaintenance, "MaintenanceSubscriptionRequest", `{"callbackUri":"http://127.0.0.1/n"}`, false},
		{VIMMaintenance, "UpgradeSessionRequest", `{"targetVersion":"2.0","nodeIds":["compute-1"],"flow":"F2","maxParallel":2,"replyTimeout":30,"upgradeTimeout":600,"onNack":"skip","rollback":false}`, true},
		{VIMMaintenance, "UpgradeSessionRequest", `{"targetVersion":"2.0","maxParallel":0}`, false},
		{VIMMaintenance, "UpgradeSessionRequest", `{"targetVersion":"2.0","flow":"naive"}`, false},
		{VIMMaintenance, "UpgradeSessionRequest", `{"targetVersion":"2.0","dryRun":true}`, false},
		{VIMMaintenance, "MaintenanceReply", `{"notificationId":"n-1","vnfmId":"vnfm-a","reply":"ACK_PLANNED_MAINTENANCE","instanceActions":[{"instanceId":"mme-1","action":"SWITCHED_OVER"}]}`, true},
		{VIMMaintenance, "MaintenanceReply", `{"notificationId":"n-1","vnfmId":"vnfm-a","reply":"OK"}`, false},
		{VIMMaintenance, "MaintenanceReply", `{"notificationId":"n-1","vnfmId":"vnfm-a","reply":"NACK_MAINTENANCE","instanceActions":[{"instanceId":"mme-1","action":"REBOOT"}]}`, false},
		{VIMMaintenance, "MaintenanceReply", `{"notificationId":"n-1","vnfmId":"vnfm-a","reply":"ACK_MAINTENANCE","sessionId":"s-1"}`, false},
		{VIMMaintenance, "MigrationRequest", `{}`, true},
		{VIMMaintenance, "MigrationRequest", `{"live":false,"target":"compute-2"}`, false},
		{VNFControl, "SwitchoverRequest", `{"targetInstanceId":"mme-2"}`, true},
		{VNFControl, "SwitchoverRequest", `{"targetInstanceId":"mme-2","force":true}`, false},
	}
	docs := map[string]*openapi3.T{}
	for _, tc := range tests {
		doc := docs[tc.spec]
		if doc == nil {
			var err error
			doc, err = Load(tc.spec)
			require.NoError(t, err)
			docs[tc.spec] = doc
		}
		s := doc.Components.Schemas[tc.schema]
		require.NotNil(t, s, tc.schema)
		var v any
		require.NoError(t, json.Unmarshal([]byte(tc.body), &v))
		err := s.Value.VisitJSON(v)
		if tc.valid {
			require.NoError(t, err, "%s %s", tc.schema, tc.body)
		} else {
			require.Error(t, err, "%s %s validated", tc.schema, tc.body)
		}
	}
}

func TestLoadUnknown(t *testing.T) {
	_, err := Load("nope")
	require.ErrorContains(t, err, "no spec")
	require.Equal(t, "", BasePath("nope"))
}
