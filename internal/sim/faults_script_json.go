package sim

import (
	"encoding/json"
	"fmt"
)

// scriptedFaultWire is ScriptedFault on the wire (/_sim/faults/script): the delay as a Go
// duration string ("1s"), like the rate-based faults' durations.
type scriptedFaultWire struct {
	Kind       FaultKind `json:"kind"`
	Status     int       `json:"status,omitempty"`
	RetryAfter string    `json:"retry_after,omitempty"`
	Body       string    `json:"body,omitempty"`
	Delay      string    `json:"delay,omitempty"`
}

// MarshalJSON writes the delay as a string.
func (s ScriptedFault) MarshalJSON() ([]byte, error) {
	w := scriptedFaultWire{Kind: s.Kind, Status: s.Status, RetryAfter: s.RetryAfter, Body: s.Body}
	if s.Delay != 0 {
		w.Delay = s.Delay.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the delay as a string and rejects unknown fields, so a typo is an
// error rather than a fault that silently does something else.
func (s *ScriptedFault) UnmarshalJSON(data []byte) error {
	var w scriptedFaultWire
	if err := decodeStrict(data, &w); err != nil {
		return fmt.Errorf("scripted fault: %w (fields: kind, status, retry_after, body, delay)", err)
	}
	delay, err := parseOptionalDuration("delay", w.Delay)
	if err != nil {
		return err
	}
	*s = ScriptedFault{Kind: w.Kind, Status: w.Status, RetryAfter: w.RetryAfter, Body: w.Body, Delay: delay}
	return nil
}

// scriptRequest is the body of POST /_sim/faults/script.
type scriptRequest struct {
	Route  string          `json:"route"`
	Faults []ScriptedFault `json:"faults"`
}

// UnmarshalJSON rejects unknown fields, as the faults' own decoders do.
func (q *scriptRequest) UnmarshalJSON(data []byte) error {
	type plain scriptRequest // without this method, so Decode does not recurse
	var p plain
	if err := decodeStrict(data, &p); err != nil {
		return fmt.Errorf("script: %w (send {\"route\": \"POST /v1/apps\", \"faults\": [{\"kind\": \"drop_after\"}]})", err)
	}
	*q = scriptRequest(p)
	return nil
}
