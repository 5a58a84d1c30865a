package edge

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator"
)

// petSpec is a tiny spec in our conventions, enough to exercise the edge
// without the real APIs.
const petSpec = `openapi: 3.0.3
info: {title: pets, version: 1.0.0}
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
        "404":
          description: gone
          content:
            application/problem+json:
              schema: {type: object}
    put:
      operationId: putPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pet"}
      responses:
        "204": {description: stored}
components:
  schemas:
    Pet:
      type: object
      additionalProperties: false
      required: [name]
      properties:
        name: {type: string}
        legs: {type: integer, minimum: 0}
`

func loadPets(t *testing.T) *Spec {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(petSpec))
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	return NewSpec(doc, "/api/v1")
}

// server is an echo server on the in-process transport; reply decides what
// GET answers, so a test can make the server break its own spec.
func server(t *testing.T, reply func(c echo.Context) error) (*http.Client, *[]Violation) {
	t.Helper()
	var seen []Violation
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler
	e.Use(Versioned("/api_versions"), Validator(loadPets(t), func(v Violation) { seen = append(seen, v) }))
	e.GET("/api/v1/pets/:petId", reply)
	e.PUT("/api/v1/pets/:petId", func(c echo.Context) error {
		if c.Param("petId") == "taken" {
			return escalator.Errorf(escalator.ECONFLICT, "pet taken exists")
		}
		return c.NoContent(http.StatusNoContent)
	})
	tr := NewInProcess()
	tr.Handle("pets.local", e)
	return &http.Client{Transport: tr}, &seen
}

func call(t *testing.T, c *http.Client, method, path, version, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://pets.local"+path, strings.NewReader(body))
	require.NoError(t, err)
	if version != "" {
		req.Header.Set(HeaderVersion, version)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

func TestServerEdge(t *testing.T) {
	good := func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]any{"name": "rex", "legs": 4}) }
	tests := []struct {
		name, method, path, version, body string
		status                            int
		detail                            string
	}{
		{"valid get", "GET", "/api/v1/pets/rex", "1.0.0", "", 200, ""},
		{"missing Version", "GET", "/api/v1/pets/rex", "", "", 400, "the Version header is required"},
		{"unsupported major version", "GET", "/api/v1/pets/rex", "2.0.0", "", 406, "API version 2.0.0 is not supported"},
		{"minor version accepted", "GET", "/api/v1/pets/rex", "1.4.0", "", 200, ""},
		{"unknown resource", "GET", "/api/v1/cats/1", "1.0.0", "", 404, "no resource at /api/v1/cats/1"},
		{"method not allowed", "DELETE", "/api/v1/pets/rex", "1.0.0", "", 405, "DELETE is not supported on /api/v1/pets/rex"},
		{"malformed JSON", "PUT", "/api/v1/pets/rex", "1.0.0", `{"name": `, 400, "not a single well-formed JSON value"},
		{"trailing garbage", "PUT", "/api/v1/pets/rex", "1.0.0", `{"name":"rex"} }`, 400, "not a single well-formed JSON value"},
		{"invalid UTF-8", "PUT", "/api/v1/pets/rex", "1.0.0", "{\"name\":\"r\xffx\"}", 400, "not valid UTF-8"},
		{"unknown field", "PUT", "/api/v1/pets/rex", "1.0.0", `{"name":"rex","wings":2}`, 400, "wings"},
		{"schema violation", "PUT", "/api/v1/pets/rex", "1.0.0", `{"name":"rex","legs":-1}`, 400, "legs"},
		{"missing required field", "PUT", "/api/v1/pets/rex", "1.0.0", `{"legs":4}`, 400, "name"},
		{"domain conflict maps to 409", "PUT", "/api/v1/pets/taken", "1.0.0", `{"name":"rex"}`, 409, "pet taken exists"},
		{"valid put", "PUT", "/api/v1/pets/rex", "1.0.0", `{"name":"rex"}`, 204, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := server(t, good)
			status, h, body := call(t, c, tc.method, tc.path, tc.version, tc.body)
			require.Equal(t, tc.status, status, body)
			require.Equal(t, APIVersion, h.Get(HeaderVersion), "every response carries Version")
			if tc.status >= 400 {
				require.Equal(t, MediaProblem, h.Get("Content-Type"))
				require.Contains(t, body, `"status":`)
				require.Contains(t, body, tc.detail)
			}
		})
	}
}

func TestServerResponseViolationIsReportedNotHidden(t *testing.T) {
	c, seen := server(t, func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]any{"legs": "four"}) })
	status, _, body := call(t, c, "GET", "/api/v1/pets/rex", "1.0.0", "")
	require.Equal(t, 200, status)
	require.JSONEq(t, `{"legs":"four"}`, body, "the client still sees what the server sent")
	require.Len(t, *seen, 1)
	require.Equal(t, "response", (*seen)[0].Message)
	require.Contains(t, (*seen)[0].Detail, "name")
}

func TestCheckedClientReportsBothDirections(t *testing.T) {
	// The server is lenient (no validator): only the client checks.
	e := echo.New()
	e.PUT("/api/v1/pets/:petId", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.GET("/api/v1/pets/:petId", func(c echo.Context) error { return c.JSON(http.StatusTeapot, map[string]any{}) })
	in := NewInProcess()
	in.Handle("pets.local", e)
	var seen []Violation
	c := &http.Client{Transport: &Checked{Specs: []*Spec{loadPets(t)}, Next: in, OnViolation: func(v Violation) { seen = append(seen, v) }}}

	status, _, _ := call(t, c, "PUT", "/api/v1/pets/rex", "1.0.0", `{"wings":2}`)
	require.Equal(t, 204, status)
	require.Len(t, seen, 1)
	require.Equal(t, "request", seen[0].Message)

	status, _, _ = call(t, c, "GET", "/api/v1/pets/rex", "1.0.0", "")
	require.Equal(t, 418, status)
	require.Len(t, seen, 2)
	require.Equal(t, "response", seen[1].Message)
	require.Equal(t, 418, seen[1].Status)

	_, _, _ = call(t, c, "GET", "/api/v1/nowhere", "1.0.0", "")
	require.Len(t, seen, 3)
	require.Contains(t, seen[2].Detail, "no API operation")
}

func TestInProcessUnknownHostFails(t *testing.T) {
	c := &http.Client{Transport: NewInProcess()}
	_, err := c.Get("http://nobody.local/x")
	require.ErrorContains(t, err, "no server at nobody.local")
}

func TestAnyPathSpecMatchesByMethod(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(strings.Replace(petSpec, "/pets/{petId}:\n    parameters:\n      - {name: petId, in: path, required: true, schema: {type: string}}\n", "/pets:\n", 1)))
	require.NoError(t, err)
	s := NewSpec(doc, "")
	s.AnyPath = true
	_, _, ok := s.Route("GET", "/wherever/the/callback/is")
	require.True(t, ok)
	_, _, ok = s.Route("DELETE", "/wherever")
	require.False(t, ok)
}

func TestStatusMapping(t *testing.T) {
	for code, status := range map[string]int{
		escalator.EINVALID: 422, escalator.ENOTFOUND: 404, escalator.ECONFLICT: 409,
		escalator.EUNAVAILABLE: 503, escalator.EINTERNAL: 500, "": 500,
	} {
		require.Equal(t, status, Status(code), code)
	}
}

// TestValidationOutcomeRemembered: a message met again gets the outcome it
// got the first time, breaches included, and a message that differs in
// anything validation reads (body, status, header, URL) is validated anew.
func TestValidationOutcomeRemembered(t *testing.T) {
	s := loadPets(t)
	put := func(url, body string) *http.Request {
		r, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
		require.NoError(t, err)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	h := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name     string
		req      *http.Request
		body     string
		status   int
		respBody string
		wantReq  bool // the request breaks the spec
		wantResp bool // the response breaks the spec
	}{
		{"valid", put("http://a/api/v1/pets/rex", `{"name":"rex"}`), `{"name":"rex"}`, 204, "", false, false},
		{"same message on another host", put("http://b/api/v1/pets/rex", `{"name":"rex"}`), `{"name":"rex"}`, 204, "", false, false},
		{"bad body", put("http://a/api/v1/pets/rex", `{"legs":-1}`), `{"legs":-1}`, 204, "", true, false},
		{"bad status", put("http://a/api/v1/pets/rex", `{"name":"rex"}`), `{"name":"rex"}`, 299, "", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // computed, then remembered
				p, ok := s.CheckRequest(tc.req, []byte(tc.body))
				require.True(t, ok)
				require.Equal(t, tc.wantReq, len(p) > 0, p)
				p = s.CheckResponse(tc.req, []byte(tc.body), tc.status, h, []byte(tc.respBody))
				require.Equal(t, tc.wantResp, len(p) > 0, p)
			}
		})
	}
	first, _ := s.CheckRequest(put("http://a/api/v1/pets/rex", `{"legs":-1}`), []byte(`{"legs":-1}`))
	again, _ := s.CheckRequest(put("http://a/api/v1/pets/rex", `{"legs":-1}`), []byte(`{"legs":-1}`))
	require.Equal(t, first, again)
}
