package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// maxBodyBytes caps request bodies: no simulated endpoint takes more than a machine config.
const maxBodyBytes = 1 << 20

// writeJSON writes v as the JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// decodeOr decodes the request body into v like decodeBody; when it cannot, it answers 400
// through fail, the API's own error writer, and returns false.
func decodeOr(w http.ResponseWriter, r *http.Request, v any, optional bool, fail func(http.ResponseWriter, int, string)) bool {
	if err := decodeBody(r, v, optional); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

// decodeBody decodes a JSON request body into v. An empty body is allowed when optional.
// The returned error says what is wrong, for a 400.
func decodeBody(r *http.Request, v any, optional bool) error {
	body := http.MaxBytesReader(nil, r.Body, maxBodyBytes)
	data, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fmt.Errorf("request body is larger than %d bytes", maxBodyBytes)
		}
		return fmt.Errorf("cannot read request body: %v", err)
	}
	if len(data) == 0 {
		if optional {
			return nil
		}
		return errors.New("request body is empty: send a JSON object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// statusRecorder remembers the status a handler wrote, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (to hijack a dropped response).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs method, path and status of each request at debug level. Never headers
// (tokens) or bodies (secret values, keys).
func logRequests(log *slog.Logger, sim string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		log.Debug("request", "sim", sim, "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	})
}
