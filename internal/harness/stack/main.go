package stack

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main runs the command-line program cli (demo, chaos, bench) with the process's arguments
// and output, and exits with the code it returns. Ctrl-C and SIGTERM cancel cli's context
// instead of killing the process, so that the program stops what it started (serve, the
// sandbox, PostgreSQL) before it exits.
func Main(cli func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
