package edge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"
)

func TestParseCredential(t *testing.T) {
	tests := []struct {
		in   string
		want Credential
		err  string
	}{
		{"", Credential{}, ""},
		{"bearer:abc", Credential{Scheme: "bearer", Token: "abc"}, ""},
		{"BEARER:abc", Credential{Scheme: "bearer", Token: "abc"}, ""},
		{"bearer:a:b", Credential{Scheme: "bearer", Token: "a:b"}, ""},
		{"basic:user:pw", Credential{Scheme: "basic", User: "user", Password: "pw"}, ""},
		{"basic:user:p:w", Credential{Scheme: "basic", User: "user", Password: "p:w"}, ""},
		{"Basic:user:", Credential{Scheme: "basic", User: "user"}, ""},
		{"bearer:", Credential{}, "needs a token"},
		{"bearer", Credential{}, "needs a token"},
		{"basic:user", Credential{}, "needs a user and a password"},
		{"basic::pw", Credential{}, "needs a user and a password"},
		{"digest:x", Credential{}, "use bearer:TOKEN or basic:USER:PASSWORD"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCredential(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseCredentialErrorsHideTheSecret(t *testing.T) {
	for _, in := range []string{"basic:s3cret-only", "digest:s3cret-only", "basic::s3cret-only"} {
		_, err := ParseCredential(in)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cret-only")
	}
}

func TestCredentialHeaderAndString(t *testing.T) {
	bearer := Credential{Scheme: "bearer", Token: "tok-SECRET"}
	require.Equal(t, "Bearer tok-SECRET", bearer.Header())
	basic := Credential{Scheme: "basic", User: "u", Password: "pw-SECRET"}
	r := &http.Request{Header: http.Header{"Authorization": {basic.Header()}}}
	u, p, ok := r.BasicAuth()
	require.True(t, ok)
	require.Equal(t, "u", u)
	require.Equal(t, "pw-SECRET", p)
	require.Empty(t, Credential{}.Header())

	require.Equal(t, "none", Credential{}.String())
	for _, c := range []Credential{bearer, basic} {
		s := c.String()
		require.NotContains(t, s, "SECRET")
		require.Contains(t, s, c.Scheme)
		// Formatting verbs that call String must not show it either.
		require.NotContains(t, fmt.Sprintf("%v %s", c, c), "SECRET")
	}
}

// authServer serves GET /x behind RequireAuth(want).
func authServer(want Credential) *echo.Echo {
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler
	e.Use(RequireAuth(want))
	e.GET("/x", func(c echo.Context) error { return c.String(http.StatusOK, "in") })
	return e
}

func authCall(e *echo.Echo, authorization string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	return w
}

func TestRequireAuth(t *testing.T) {
	bearer := Credential{Scheme: "bearer", Token: "t0k"}
	basic := Credential{Scheme: "basic", User: "op", Password: "pw"}
	tests := []struct {
		name          string
		want          Credential
		authorization string
		status        int
		challenge     string
		detail        string
	}{
		{"none demanded", Credential{}, "", 200, "", ""},
		{"none demanded, any header", Credential{}, "Bearer whatever", 200, "", ""},
		{"bearer missing", bearer, "", 401, `Bearer realm="escalator"`, "this API needs bearer credentials"},
		{"bearer wrong", bearer, "Bearer nope", 401, `Bearer realm="escalator"`, "the credentials are not valid"},
		{"bearer prefix of the token", bearer, "Bearer t0", 401, `Bearer realm="escalator"`, "not valid"},
		{"bearer token plus more", bearer, "Bearer t0kk", 401, `Bearer realm="escalator"`, "not valid"},
		{"bearer without scheme", bearer, "t0k", 401, `Bearer realm="escalator"`, "not valid"},
		{"bearer given basic", bearer, basic.Header(), 401, `Bearer realm="escalator"`, "not valid"},
		{"bearer right", bearer, "Bearer t0k", 200, "", ""},
		{"basic missing", basic, "", 401, `Basic realm="escalator"`, "this API needs basic credentials"},
		{"basic wrong password", basic, Credential{Scheme: "basic", User: "op", Password: "pX"}.Header(), 401, `Basic realm="escalator"`, "not valid"},
		{"basic wrong user", basic, Credential{Scheme: "basic", User: "oq", Password: "pw"}.Header(), 401, `Basic realm="escalator"`, "not valid"},
		{"basic not base64", basic, "Basic !!!", 401, `Basic realm="escalator"`, "not valid"},
		{"basic given bearer", basic, "Bearer t0k", 401, `Basic realm="escalator"`, "not valid"},
		{"basic right", basic, basic.Header(), 200, "", ""},
		{"basic right, lower-case scheme", basic, "basic " + strings.TrimPrefix(basic.Header(), "Basic "), 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := authCall(authServer(tc.want), tc.authorization)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			require.Equal(t, tc.challenge, w.Header().Get("WWW-Authenticate"))
			if tc.status == 200 {
				require.Equal(t, "in", w.Body.String())
				return
			}
			require.Equal(t, APIVersion, w.Header().Get(HeaderVersion), "a 401 carries Version even without Versioned")
			require.Equal(t, MediaProblem, w.Header().Get("Content-Type"))
			var p Problem
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			require.Equal(t, tc.status, p.Status)
			require.Contains(t, p.Detail, tc.detail)
			require.NotContains(t, w.Body.String(), "t0k")
			require.NotContains(t, w.Body.String(), `"pw"`)
		})
	}
}

func TestRequireAuthBearerSchemeIsCaseInsensitive(t *testing.T) {
	w := authCall(authServer(Credential{Scheme: "bearer", Token: "t0k"}), "bearer t0k")
	if w.Code == http.StatusUnauthorized {
		t.Fatal("regression: RequireAuth refuses \"Authorization: bearer t0k\" with 401 though the token is right: it matches the " +
			"case-sensitive prefix \"Bearer \", but RFC 7235 section 2.1 (and RFC 6750) make the auth-scheme case-insensitive; " +
			"basic is accepted in any case because net/http's BasicAuth folds it")
	}
	require.Equal(t, http.StatusOK, w.Code)
}
