package httpjson

import (
	"net/http"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Error codes of the HTTP layer alone: problems with the request itself, before any handler.
const (
	TooLarge             = "too_large"
	UnsupportedMediaType = "unsupported_media_type"
	MethodNotAllowed     = "method_not_allowed"
)

// statusOf is the one table from error codes to HTTP statuses; a code missing here is a bug
// and answers 500.
var statusOf = map[string]int{
	launchpad.EINVALID:      http.StatusBadRequest,
	launchpad.EUNAUTHORIZED: http.StatusUnauthorized,
	launchpad.ESTEPUP:       http.StatusForbidden,
	launchpad.ENOTFOUND:     http.StatusNotFound,
	launchpad.ECONFLICT:     http.StatusConflict,
	launchpad.ERATELIMITED:  http.StatusTooManyRequests,
	launchpad.EUNAVAILABLE:  http.StatusServiceUnavailable,
	launchpad.EINTERNAL:     http.StatusInternalServerError,
	TooLarge:                http.StatusRequestEntityTooLarge,
	UnsupportedMediaType:    http.StatusUnsupportedMediaType,
	MethodNotAllowed:        http.StatusMethodNotAllowed,
}

// Status returns the HTTP status of an error code (500 for an unknown one).
func Status(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
