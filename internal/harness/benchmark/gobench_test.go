package benchmark

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func readSamples(t *testing.T, file string) Samples {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseBenchmarks(bytes.NewBuffer(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testdata/envelope.txt is what internal/envelope's benchmarks print (-benchtime 10ms).
func TestParseBenchmarksKeepsUnitsAsPrinted(t *testing.T) {
	s := readSamples(t, "testdata/envelope.txt")
	if len(s) != 6 {
		t.Fatalf("got %d benchmarks, want 6: %v", len(s), s)
	}
	env := s["Seal/4KiB/envelope"]
	if env == nil {
		t.Fatalf("no Seal/4KiB/envelope (the name without Benchmark and -GOMAXPROCS) in %v", s)
	}
	if env["ns/op"] != 28815 || env["cpu-ns/op"] != 29622 || env["allocs/op"] != 3 {
		t.Errorf("Seal/4KiB/envelope = %v, want ns/op 28815, cpu-ns/op 29622, allocs/op 3 as printed", env)
	}
	if got := s["Open/4KiB/bare-aead+base64"]["ns/op"]; got != 8597 {
		t.Errorf("Open/4KiB/bare-aead+base64 ns/op = %v, want 8597", got)
	}
}

func TestParseBenchmarksCustomMetricsAndStrayLines(t *testing.T) {
	s := readSamples(t, "testdata/rotation.txt")
	// testdata/rotation.txt is what BenchmarkRotate10k prints with -benchtime 3x: its own
	// BENCH line once before the result line and once inside it.
	got := s["Rotate10k"]
	if got["rotate-records/s"] != 958 || got["floor-records/s"] != 2043 || got["ratio"] != 2.133 {
		t.Errorf("Rotate10k = %v, want the custom metrics as printed", got)
	}
}

func TestParseBenchmarksRejectsGarbage(t *testing.T) {
	_, err := parseBenchmarks(bytes.NewBufferString("BenchmarkBroken-2 \t 10 \t twelve ns/op\n"))
	if err == nil {
		t.Fatal("a benchmark line with a value that is not a number parsed without error")
	}
}

func TestEnvelopeFiguresAgainstBothFloors(t *testing.T) {
	se := Series{}
	for _, v := range []float64{3000, 1000, 2000} { // median 2000
		se.Add(Samples{
			"Seal/4KiB/envelope":         {"ns/op": v * 10, "cpu-ns/op": v * 9},
			"Seal/4KiB/bare-aead":        {"ns/op": v, "cpu-ns/op": v},
			"Seal/4KiB/bare-aead+base64": {"ns/op": v * 4, "cpu-ns/op": v * 3},
		})
	}
	rs, err := envelopeFigures(se, "envelope_seal_4k", "Seal/4KiB")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BENCH envelope_seal_4k 20000 ns/op floor=2000 ratio=10.00",
		"BENCH envelope_seal_4k_vs_aead_base64 20000 ns/op floor=8000 ratio=2.50",
	}
	for i, r := range rs {
		if r.Line() != want[i] {
			t.Errorf("line %d = %q, want %q", i, r.Line(), want[i])
		}
	}
	if got := rs[1].Details["cpu_ratio"]; got != 3.0 {
		t.Errorf("cpu_ratio against AEAD+base64 = %v, want 3", got)
	}
	if _, err := envelopeFigures(Series{}, "envelope_seal_4k", "Seal/4KiB"); err == nil || !strings.Contains(err.Error(), "Seal/4KiB/envelope") {
		t.Errorf("missing benchmarks: err = %v, want one naming Seal/4KiB/envelope", err)
	}
}
