package benchmark

import (
	"context"
	"path/filepath"
)

// Envelope is the envelope_seal_4k / envelope_open_4k figure group. It runs the Go benchmarks
// of internal/envelope (BenchmarkSeal and BenchmarkOpen at 4 KiB), which put the envelope
// beside two floors in the same process: a bare AES-256-GCM AEAD (the floor) and the
// same AEAD plus the unpadded base64url that a printable sealed value needs. Each of passes
// runs all six benchmarks once, so the envelope and its floors alternate; each figure is the
// median ns/op of the passes. cpu-ns/op (process CPU per operation, which other processes do
// not inflate) is kept beside it in results.json.
func Envelope(passes int, benchtime string) Figure {
	return Figure{Name: "envelope", Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		bench, err := CompileGoBench(ctx, env.ModuleDir, "./internal/envelope", env.WorkDir)
		if err != nil {
			return err
		}
		series := Series{}
		for i := range passes {
			s, err := bench.Run(ctx, filepath.Join(env.ModuleDir, "internal", "envelope"), "^Benchmark(Seal|Open)$/^4KiB$", benchtime)
			if err != nil {
				return err
			}
			series.Add(s)
			env.Log.Info("envelope: pass done", "pass", i+1, "of", passes)
		}
		for _, op := range []struct{ figure, bench string }{
			{"envelope_seal_4k", "Seal/4KiB"},
			{"envelope_open_4k", "Open/4KiB"},
		} {
			results, err := envelopeFigures(series, op.figure, op.bench)
			if err != nil {
				return err
			}
			for _, r := range results {
				emit(r)
			}
		}
		return nil
	}}
}

// envelopeFigures makes the two lines of one operation: against the bare AEAD, and against
// the AEAD plus base64url.
func envelopeFigures(se Series, figure, bench string) ([]Result, error) {
	median := func(variant, unit string) (float64, error) { return se.Median(bench+"/"+variant, unit) }
	env, err := median("envelope", "ns/op")
	if err != nil {
		return nil, err
	}
	bare, err := median("bare-aead", "ns/op")
	if err != nil {
		return nil, err
	}
	encoded, err := median("bare-aead+base64", "ns/op")
	if err != nil {
		return nil, err
	}
	details := func(r Result, floorVariant string) Result {
		r = r.With("runs", len(se[bench+"/envelope ns/op"])).With("floor_benchmark", bench+"/"+floorVariant)
		envCPU, err1 := median("envelope", "cpu-ns/op")
		floorCPU, err2 := median(floorVariant, "cpu-ns/op")
		if err1 == nil && err2 == nil && floorCPU > 0 {
			r = r.With("cpu_ns_per_op", envCPU).With("floor_cpu_ns_per_op", floorCPU).With("cpu_ratio", envCPU/floorCPU)
		}
		if allocs, err := median("envelope", "allocs/op"); err == nil {
			r = r.With("allocs_per_op", allocs)
		}
		return r
	}
	return []Result{
		details(Duration(figure, env, "ns/op", bare), "bare-aead"),
		details(Duration(figure+"_vs_aead_base64", env, "ns/op", encoded), "bare-aead+base64"),
	}, nil
}
