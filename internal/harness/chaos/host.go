package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clawdrun/terraform-provider-launchpad/internal/harness/stack"
)

// host runs `serve` as one machine would: always on the same address, store and data
// directory, started again after each crash. Each run has its own log, serve-N.log.
type host struct {
	binary string
	dir    string
	env    map[string]string
	url    string

	mu    sync.Mutex
	serve *stack.Serve
	runs  int
	logs  []string
	pids  []int
}

// newHost picks a free loopback port for every run of serve.
func newHost(binary, dir string, env map[string]string, r *rand.Rand) (*host, error) {
	addr, err := stablePort(r)
	if err != nil {
		return nil, err
	}
	h := &host{binary: binary, dir: dir, env: map[string]string{}, url: "http://" + addr}
	for k, v := range env {
		h.env[k] = v
	}
	h.env["LAUNCHPAD_ADDR"] = addr
	return h, nil
}

// stablePort finds a free loopback address whose port is outside the kernel's ephemeral
// range. serve keeps its address across crashes; while it is down, a port from the
// ephemeral range can be taken by anyone's `listen :0` or outgoing connection (on a shared
// machine a test's simulator once answered serve's webhook deliveries), one below it cannot.
func stablePort(r *rand.Rand) (string, error) {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				low = n
			}
		}
	}
	// The first try is one of the run's seeded choices; the tries after a port that is taken
	// draw from a source of their own, so that how busy the machine is never changes the
	// choices that follow (the customers' stories: with another run holding the port, seed 5
	// once wrote more events than the deliveries asked for).
	pick := r
	for range 100 {
		addr := "127.0.0.1:" + strconv.Itoa(10000+pick.IntN(low-10000))
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			return addr, nil
		}
		pick = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	}
	return "", fmt.Errorf("no free loopback port between 10000 and %d", low)
}

// start runs serve and waits until it is ready.
func (h *host) start(ctx context.Context) (*stack.Serve, error) {
	h.mu.Lock()
	h.runs++
	log := filepath.Join(h.dir, fmt.Sprintf("serve-%d.log", h.runs))
	h.logs = append(h.logs, log)
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	s, err := stack.StartServe(ctx, h.binary, h.env, log)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.serve = s
	h.pids = append(h.pids, s.Pid())
	h.mu.Unlock()
	return s, nil
}

// current is the serve now running (or the last one).
func (h *host) current() *stack.Serve {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.serve
}

// kill crashes serve with SIGKILL.
func (h *host) kill() (int, error) {
	s := h.current()
	if s == nil {
		return 0, fmt.Errorf("serve is not running")
	}
	return s.Pid(), s.Kill()
}

// stop ends serve gracefully (it drains its workers).
func (h *host) stop() error {
	s := h.current()
	if s == nil {
		return nil
	}
	return s.Stop(90 * time.Second)
}

// logFiles are the logs of every run so far.
func (h *host) logFiles() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}
