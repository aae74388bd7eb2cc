package controlplane

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/clawdrun/terraform-provider-launchpad/controlplane/httpjson"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// writeError answers err through the one envelope and status table (package httpjson),
// after logging what the client is not told: the details of every 5xx.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := launchpad.ErrorCode(err)
	if httpjson.Status(code) >= 500 {
		s.logger(r.Context()).Error("request failed", "error", err.Error(), "code", code)
	}
	httpjson.Error(w, err)
}

// decodeJSON reads r's body into dst: at most limit bytes, Content-Type application/json
// (when there is a body), valid UTF-8, exactly one JSON value, no field dst does not have. An empty body
// decodes as {} so that the handler's own checks name the missing fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if r.Body == nil {
		return nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return launchpad.Errorf(httpjson.TooLarge, "the request body is larger than %d bytes", limit)
		}
		return launchpad.Errorf(launchpad.EINVALID, "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD, so a garbled address
	// would be mailed and stored as if the client had meant it.
	if !utf8.Valid(body) {
		return launchpad.Errorf(launchpad.EINVALID, "the request body is not valid UTF-8; send JSON encoded as UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return launchpad.Errorf(launchpad.EINVALID, "the request body has data after its JSON object; send exactly one object")
	}
	return nil
}

func checkJSONContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return launchpad.Errorf(httpjson.UnsupportedMediaType, "send the request body as Content-Type: application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return launchpad.Errorf(httpjson.UnsupportedMediaType, "send the request body as UTF-8 JSON, not charset %q", cs)
	}
	return nil
}

// jsonProblem turns a decoding error into a message that says what to fix.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return launchpad.Errorf(launchpad.EINVALID, "the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return launchpad.Errorf(launchpad.EINVALID, "field %q must be a JSON %s, not %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &typ):
		return launchpad.Errorf(launchpad.EINVALID, "the request body must be a JSON object, not %s", typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return launchpad.Errorf(launchpad.EINVALID, "the request body ends in the middle of its JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return launchpad.Errorf(launchpad.EINVALID, "the request body has %s; remove it", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return launchpad.Errorf(launchpad.EINVALID, "the request body is not a valid JSON object")
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	default:
		return "number"
	}
}

// handleJSON adapts fn to an http.HandlerFunc: it decodes the body into a fresh Req, calls fn,
// and writes its response with status, or its error through the one status table. Handlers
// stay a few lines of domain logic.
func handleJSON[Req, Resp any](s *Server, status int, fn func(w http.ResponseWriter, r *http.Request, req *Req) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
			s.writeError(w, r, err)
			return
		}
		resp, err := fn(w, r, &req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		httpjson.Write(w, status, resp)
	}
}

// handleGet adapts a bodiless handler (GET) the same way.
func handleGet[Resp any](s *Server, fn func(w http.ResponseWriter, r *http.Request) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		resp, err := fn(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		httpjson.Write(w, http.StatusOK, resp)
	}
}

// queryParams checks that r's query has only the allowed parameters, each at most once, so a
// misspelt filter is an error rather than silently ignored.
func queryParams(r *http.Request, allowed ...string) (map[string]string, error) {
	q, err := urlQuery(r)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(q))
	for k, vs := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		switch {
		case !ok && len(allowed) == 0:
			return nil, launchpad.Errorf(launchpad.EINVALID, "query parameter %q is not accepted here; this endpoint takes none", launchpad.Clip(k, 40))
		case !ok:
			return nil, launchpad.Errorf(launchpad.EINVALID, "query parameter %q is not accepted here; use %s", launchpad.Clip(k, 40), strings.Join(allowed, ", "))
		case len(vs) > 1:
			return nil, launchpad.Errorf(launchpad.EINVALID, "query parameter %q is given %d times; give it once", k, len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

func urlQuery(r *http.Request) (map[string][]string, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the query string is malformed: %s", launchpad.Clip(err.Error(), 80))
	}
	return q, nil
}
