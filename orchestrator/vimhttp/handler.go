package vimhttp

import (
	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator/openapi/edge"
	"github.com/escalator-testbed/escalator/openapi/vimapi"
)

// Handler returns the VIM maintenance API as an echo server: our
// conventions (Version, ProblemDetails, auth) and the spec validating every
// request and response, around s.
func Handler(s *Server, spec *edge.Spec, cred edge.Credential, onViolation func(edge.Violation)) *echo.Echo {
	e := edge.NewEcho(spec, cred, onViolation, Base+"/api_versions")
	vimapi.RegisterHandlersWithBaseURL(e, s, Base)
	return e
}
