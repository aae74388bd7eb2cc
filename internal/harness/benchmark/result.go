package benchmark

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Result is one figure: a value in a unit and, when the figure has one, the floor measured
// in the same run and the ratio between them. Ratio always says how many times worse than its
// floor the figure is (value/floor for durations, floor/value for rates), so 1.0 is the best
// possible and the targets ("within 2×") read the same way for every figure.
type Result struct {
	Name    string         `json:"name"`
	Value   float64        `json:"value"`
	Unit    string         `json:"unit"`
	Floor   *float64       `json:"floor,omitempty"`
	Ratio   *float64       `json:"ratio,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// Duration is a figure where less is better (seconds, ns/op) against its floor.
func Duration(name string, value float64, unit string, floor float64) Result {
	return againstFloor(name, value, unit, floor, value, floor)
}

// Rate is a figure where more is better (records/s, events/s) against its floor.
func Rate(name string, value float64, unit string, floor float64) Result {
	return againstFloor(name, value, unit, floor, floor, value)
}

// againstFloor is the figure value against floor, with the ratio worse/better (of value and
// floor, the larger duration or the smaller rate over the other) when better is positive.
func againstFloor(name string, value float64, unit string, floor, worse, better float64) Result {
	r := Result{Name: name, Value: value, Unit: unit, Floor: &floor}
	if better > 0 {
		ratio := worse / better
		r.Ratio = &ratio
	}
	return r
}

// With returns r with one more detail (a supporting measurement kept in results.json).
func (r Result) With(key string, value any) Result {
	if r.Details == nil {
		r.Details = map[string]any{}
	}
	r.Details[key] = value
	return r
}

// Line is the figure as `make bench` prints it:
//
//	BENCH <name> <value> <unit> [floor=<value>] [ratio=<value>]
func (r Result) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "BENCH %s %s %s", r.Name, formatValue(r.Value), r.Unit)
	if r.Floor != nil {
		fmt.Fprintf(&b, " floor=%s", formatValue(*r.Floor))
	}
	if r.Ratio != nil {
		fmt.Fprintf(&b, " ratio=%s", strconv.FormatFloat(*r.Ratio, 'f', 2, 64))
	}
	return b.String()
}

// formatValue keeps about four significant digits without switching to exponents, which
// would make the lines harder to read and to grep.
func formatValue(v float64) string {
	switch a := abs(v); {
	case a >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// Report is what results.json holds: every figure of one run and the machine it ran on,
// because the figures only compare within one machine.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  Machine   `json:"machine"`
	Results  []Result  `json:"results"`
	Failures []string  `json:"failures,omitempty"`
}

// Machine describes where the figures were measured.
type Machine struct {
	CPUs        int    `json:"cpus"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	GoVersion   string `json:"go_version"`
	TofuVersion string `json:"tofu_version,omitempty"`
}

// ThisMachine fills in what the Go runtime knows; the caller adds the tofu version.
func ThisMachine() Machine {
	return Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, GoVersion: runtime.Version()}
}

// WriteJSON writes the report to path (creating its directory), through a temporary file so
// that an interrupted run never leaves half a document.
func (rep *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
