package benchmark

import (
	"context"
	"path/filepath"
)

// Rotation is the rotate_10k figure: records/s of rotation.Rotate over 10,000 user records
// (20,000 sealed credentials) on SQLite, against the floor of a plain read-and-write of the
// same user records, which is the same writes without the crypto. internal/rotation's BenchmarkRotate10k
// measures both on fresh copies of one seeded store, alternating them within each iteration
// (iterations: its -benchtime, e.g. "3x"); this runs it and reports what it measured.
func Rotation(iterations string) Figure {
	return Figure{Name: "rotation", Run: func(ctx context.Context, env *Env, emit func(Result)) error {
		bench, err := CompileGoBench(ctx, env.ModuleDir, "./internal/rotation", env.WorkDir)
		if err != nil {
			return err
		}
		s, err := bench.Run(ctx, filepath.Join(env.ModuleDir, "internal", "rotation"), "^BenchmarkRotate10k$", iterations)
		if err != nil {
			return err
		}
		se := Series{}
		se.Add(s)
		const name = "Rotate10k"
		rotate, err := se.Median(name, "rotate-records/s")
		if err != nil {
			return err
		}
		floor, err := se.Median(name, "floor-records/s")
		if err != nil {
			return err
		}
		emit(Rate("rotate_10k", rotate, "records/s", floor).With("iterations", iterations).With("store", "sqlite"))
		return nil
	}}
}
