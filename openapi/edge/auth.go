package edge

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Credential is what a server demands of its callers: a bearer token or
// basic credentials. The zero value demands nothing.
type Credential struct {
	Scheme   string // "", "bearer" or "basic"
	Token    string
	User     string
	Password string
}

// ParseCredential reads "bearer:TOKEN" or "basic:USER:PASSWORD" ("" for
// none), the form of the --auth flag.
func ParseCredential(s string) (Credential, error) {
	if s == "" {
		return Credential{}, nil
	}
	scheme, rest, _ := strings.Cut(s, ":")
	switch strings.ToLower(scheme) {
	case "bearer":
		if rest == "" {
			return Credential{}, fmt.Errorf("--auth bearer:TOKEN needs a token")
		}
		return Credential{Scheme: "bearer", Token: rest}, nil
	case "basic":
		user, pass, ok := strings.Cut(rest, ":")
		if !ok || user == "" {
			return Credential{}, fmt.Errorf("--auth basic:USER:PASSWORD needs a user and a password")
		}
		return Credential{Scheme: "basic", User: user, Password: pass}, nil
	}
	return Credential{}, fmt.Errorf("--auth %q: use bearer:TOKEN or basic:USER:PASSWORD", scheme)
}

// Header is the Authorization header a client with this credential sends.
func (c Credential) Header() string {
	switch c.Scheme {
	case "bearer":
		return "Bearer " + c.Token
	case "basic":
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(c.User, c.Password)
		return r.Header.Get("Authorization")
	}
	return ""
}

// String never shows the secret.
func (c Credential) String() string {
	if c.Scheme == "" {
		return "none"
	}
	return c.Scheme + " (secret withheld)"
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// RequireAuth answers 401 with a WWW-Authenticate challenge to any request
// that does not carry the credential.
func RequireAuth(want Credential) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if want.Scheme == "" {
			return next
		}
		return func(c echo.Context) error {
			r := c.Request()
			ok := false
			switch want.Scheme {
			case "bearer":
				// The scheme name is case-insensitive (RFC 7235 2.1).
				scheme, got, found := strings.Cut(r.Header.Get("Authorization"), " ")
				ok = found && strings.EqualFold(scheme, "Bearer") && same(got, want.Token)
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="escalator"`)
			case "basic":
				u, p, found := r.BasicAuth()
				ok = found && same(u, want.User) && same(p, want.Password)
				c.Response().Header().Set("WWW-Authenticate", `Basic realm="escalator"`)
			}
			if !ok {
				detail := "this API needs " + want.Scheme + " credentials"
				if r.Header.Get("Authorization") != "" {
					detail = "the credentials are not valid"
				}
				WriteProblem(c.Response(), http.StatusUnauthorized, detail)
				return nil
			}
			c.Response().Header().Del("WWW-Authenticate")
			return next(c)
		}
	}
}

// NewEcho returns an echo server with our conventions: ProblemDetails for
// every error, no banner, the spec's body cap before anything reads a body,
// Version on every response and checked on every request (except skip
// paths), the credential demanded, and the spec validating both
// directions.
func NewEcho(spec *Spec, cred Credential, onViolation func(Violation), skipVersion ...string) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = ErrorHandler
	e.Use(LimitBody(spec.MaxBody), Versioned(skipVersion...), RequireAuth(cred), Validator(spec, onViolation))
	return e
}
