package escalator

import (
	"errors"
	"fmt"
)

// Error codes. Each edge maps them once: the HTTP edge to ProblemDetails
// statuses, the CLI edge to exit codes.
const (
	EINVALID     = "invalid"     // the caller's input is wrong (HTTP 400/422, exit 2)
	ENOTFOUND    = "not_found"   // a named thing does not exist (HTTP 404, exit 2)
	ECONFLICT    = "conflict"    // valid input at the wrong moment (HTTP 409)
	EUNAVAILABLE = "unavailable" // a resource is busy or absent right now (HTTP 503)
	EINTERNAL    = "internal"    // a bug or a harness failure (HTTP 500, exit 3)
)

// Error is the one error type of the module. Message is written for the
// person who will read it; Op names the operation for logs.
type Error struct {
	Code    string
	Op      string
	Message string
	Err     error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	} else if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Op != "" {
		return e.Op + ": " + msg
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
