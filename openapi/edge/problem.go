package edge

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/escalator-testbed/escalator"
)

// MediaProblem is the media type of ProblemDetails.
const MediaProblem = "application/problem+json"

// Problem is an RFC 7807 ProblemDetails document as ETSI SOL013 profiles it:
// status and detail are always present.
type Problem struct {
	Type     string `json:"type,omitempty"`
	Title    string `json:"title,omitempty"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance,omitempty"`
}

// Status maps a domain error code to an HTTP status. A domain EINVALID is
// input that parsed and matched the schema but makes no sense (422); the
// validator answers 400 for input that does not match the schema at all.
func Status(code string) int {
	switch code {
	case escalator.EINVALID:
		return http.StatusUnprocessableEntity
	case escalator.ENOTFOUND:
		return http.StatusNotFound
	case escalator.ECONFLICT:
		return http.StatusConflict
	case escalator.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// WriteProblem writes a ProblemDetails response.
func WriteProblem(w http.ResponseWriter, status int, detail string) {
	p := Problem{Status: status, Title: http.StatusText(status), Detail: detail}
	body, _ := json.Marshal(p)
	w.Header().Set(echo.HeaderContentType, MediaProblem)
	w.Header().Set(HeaderVersion, APIVersion)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ErrorHandler is an echo HTTPErrorHandler that answers every error with
// ProblemDetails: echo's own errors (404 route, 405 method) keep their
// status, domain errors are mapped by code, and anything else is a 500
// whose detail hides internals.
func ErrorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, detail := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	var de *escalator.Error
	switch {
	case errors.As(err, &de):
		status, detail = Status(de.Code), de.Error()
	case errors.As(err, &he):
		status = he.Code
		detail = http.StatusText(status)
		if m, ok := he.Message.(string); ok && m != "" {
			detail = m
		}
		if status == http.StatusMethodNotAllowed {
			detail = c.Request().Method + " is not supported on " + c.Request().URL.Path
		}
		if status == http.StatusNotFound && detail == "Not Found" {
			detail = "no resource at " + c.Request().URL.Path
		}
	}
	WriteProblem(c.Response(), status, detail)
}
