package web

import (
	"io"
	"net/http"
	"net/url"
	"strings"
)

// NewFormRequest is a request that submits form as a browser does (nil: a request with no
// body, such as a GET). It is exported so the package's external tests, which drive the whole
// control plane, build their form posts the same way as the handler tests.
func NewFormRequest(method, target string, form url.Values) *http.Request {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}
