package benchmark

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// GoBench is a package's Go benchmarks, compiled once into a test binary so that they can
// be run several times, interleaved with nothing else to compile.
type GoBench struct {
	binary string
}

// CompileGoBench compiles the tests of pkg (e.g. ./internal/envelope) in moduleDir into dir.
func CompileGoBench(ctx context.Context, moduleDir, pkg, dir string) (*GoBench, error) {
	out := filepath.Join(dir, strings.ReplaceAll(strings.Trim(pkg, "./"), "/", "-")+".test")
	cmd := exec.CommandContext(ctx, "go", "test", "-c", "-o", out, pkg)
	cmd.Dir = moduleDir
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go test -c %s: %w\n%s", pkg, err, b)
	}
	return &GoBench{binary: out}, nil
}

// Samples are the values of one run of benchmarks: name (as benchfmt gives it, without the
// "Benchmark" prefix and the -GOMAXPROCS suffix, e.g. "Seal/4KiB/envelope") → unit as the
// benchmark printed it (ns/op, B/op, records/s, …) → value.
type Samples map[string]map[string]float64

// Run runs the benchmarks matching pattern once (-test.count 1) with benchtime (e.g. "1s",
// "3x"; "" for the default) in the package's directory, and parses what they print with
// golang.org/x/perf/benchfmt, the reference reader of Go's benchmark format.
func (g *GoBench) Run(ctx context.Context, dir, pattern, benchtime string) (Samples, error) {
	args := []string{"-test.run", "^$", "-test.bench", pattern, "-test.benchmem", "-test.count", "1"}
	if benchtime != "" {
		args = append(args, "-test.benchtime", benchtime)
	}
	cmd := exec.CommandContext(ctx, g.binary, args...)
	cmd.Dir = dir // a test binary runs in its package's directory, as go test runs it
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -test.bench %s: %w\n%s%s", filepath.Base(g.binary), pattern, err, stdout.Bytes(), stderr.Bytes())
	}
	samples, err := parseBenchmarks(&stdout)
	if err != nil {
		return nil, err
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s -test.bench %s printed no benchmark result:\n%s", filepath.Base(g.binary), pattern, stdout.Bytes())
	}
	return samples, nil
}

// ownLines are the lines a benchmark prints itself (internal/rotation prints its BENCH line).
// The testing package writes a benchmark's name before running it and its figures after, so
// such a line lands inside the result line; taking it out joins the result line again.
var ownLines = regexp.MustCompile(`BENCH [^\n]*\n`)

func parseBenchmarks(out *bytes.Buffer) (Samples, error) {
	samples := Samples{}
	r := benchfmt.NewReader(bytes.NewReader(ownLines.ReplaceAll(out.Bytes(), nil)), "benchmark output")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			name := benchName(rec.Name)
			if samples[name] == nil {
				samples[name] = map[string]float64{}
			}
			for _, v := range rec.Values {
				// The reader tidies units (ns/op becomes sec/op); keep them as printed.
				unit, value := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, value = v.OrigUnit, v.OrigValue
				}
				samples[name][unit] = value
			}
		}
	}
	return samples, r.Err()
}

// benchName is a benchmark's full name without its -GOMAXPROCS suffix.
func benchName(n benchfmt.Name) string {
	base, parts := n.Parts()
	name := string(base)
	for _, p := range parts {
		if len(p) > 0 && p[0] == '/' {
			name += string(p)
		}
	}
	return name
}

// Series collects one value of several runs.
type Series map[string][]float64

// Add appends the value of unit of every benchmark in s (key "name unit").
func (se Series) Add(s Samples) {
	for name, units := range s {
		for unit, v := range units {
			k := name + " " + unit
			se[k] = append(se[k], v)
		}
	}
}

// Median of the runs of one benchmark's unit, or an error naming what is missing.
func (se Series) Median(name, unit string) (float64, error) {
	xs := se[name+" "+unit]
	if len(xs) == 0 {
		return 0, fmt.Errorf("no %s of benchmark %s was printed", unit, name)
	}
	return Median(xs), nil
}
