package edge

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// HeaderVersion is the ETSI SOL013 header that carries the API version on
// every request and response.
const HeaderVersion = "Version"

// APIVersion is the version of our three APIs.
const APIVersion = "1.0.0"

// Versioned checks the Version header of every request (400 when absent,
// 406 when its major version is not ours) and sets it on every response.
// skip names paths that need no Version header (api_versions, per SOL013).
func Versioned(skip ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Response().Header().Set(HeaderVersion, APIVersion)
			for _, s := range skip {
				if strings.HasSuffix(c.Request().URL.Path, s) {
					return next(c)
				}
			}
			v := c.Request().Header.Get(HeaderVersion)
			switch {
			case v == "":
				WriteProblem(c.Response(), http.StatusBadRequest, "the Version header is required (this API speaks "+APIVersion+")")
				return nil
			case major(v) != major(APIVersion):
				WriteProblem(c.Response(), http.StatusNotAcceptable, "API version "+v+" is not supported; this API speaks "+APIVersion)
				return nil
			}
			return next(c)
		}
	}
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}
