package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// machineConfig is a machine config as the simulator holds it: every field the client sent,
// verbatim, plus the typed view of the fields the simulator interprets.
type machineConfig struct {
	raw      map[string]json.RawMessage
	image    string
	guest    guestView
	env      map[string]string
	metadata map[string]string
	mounts   []mountView
}

type guestView struct {
	CPUKind  string `json:"cpu_kind"`
	CPUs     int    `json:"cpus"`
	MemoryMB int    `json:"memory_mb"`
}

type mountView struct {
	Volume string `json:"volume"`
	Path   string `json:"path"`
}

// Fly's guest sizes: CPU counts per kind, and memory per CPU (MB) from minimum to maximum.
var (
	sharedCPUCounts      = []int{1, 2, 4, 6, 8}
	performanceCPUCounts = []int{1, 2, 4, 8, 16}
)

// parseMachineConfig decodes and validates a config, filling Fly's guest defaults
// (shared-cpu-1x, 256 MB). Errors are 400s that say what to fix.
func parseMachineConfig(data json.RawMessage) (*machineConfig, error) {
	if len(data) == 0 || string(data) == "null" {
		return nil, flyErrorf(http.StatusBadRequest, "config is required: send {\"config\": {\"image\": …}}")
	}
	c := &machineConfig{}
	if err := json.Unmarshal(data, &c.raw); err != nil {
		return nil, flyErrorf(http.StatusBadRequest, "config is not a JSON object: %v", err)
	}
	if err := unmarshalField(c.raw, "image", &c.image); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.image) == "" {
		return nil, flyErrorf(http.StatusBadRequest, "invalid config.image: an image is required")
	}
	if err := unmarshalField(c.raw, "env", &c.env); err != nil {
		return nil, err
	}
	if err := unmarshalField(c.raw, "metadata", &c.metadata); err != nil {
		return nil, err
	}
	if err := unmarshalField(c.raw, "mounts", &c.mounts); err != nil {
		return nil, err
	}
	if err := c.parseGuest(); err != nil {
		return nil, err
	}
	if len(c.mounts) > 1 {
		return nil, flyErrorf(http.StatusBadRequest, "invalid config.mounts: a machine can mount at most one volume")
	}
	for _, m := range c.mounts {
		if m.Volume == "" {
			return nil, flyErrorf(http.StatusBadRequest, "invalid config.mounts: each mount needs a volume id")
		}
		if !strings.HasPrefix(m.Path, "/") {
			return nil, flyErrorf(http.StatusBadRequest, "invalid config.mounts: mount path %q must be absolute", m.Path)
		}
	}
	return c, nil
}

// parseGuest validates config.guest and writes the filled-in guest back into raw, keeping
// any guest fields the simulator does not interpret (gpu_kind, kernel_args, …).
func (c *machineConfig) parseGuest() error {
	guest := map[string]json.RawMessage{}
	if err := unmarshalField(c.raw, "guest", &guest); err != nil {
		return err
	}
	if guest == nil {
		guest = map[string]json.RawMessage{}
	}
	if err := unmarshalField(guest, "cpu_kind", &c.guest.CPUKind); err != nil {
		return err
	}
	if err := unmarshalField(guest, "cpus", &c.guest.CPUs); err != nil {
		return err
	}
	if err := unmarshalField(guest, "memory_mb", &c.guest.MemoryMB); err != nil {
		return err
	}
	g := &c.guest
	if g.CPUKind == "" {
		g.CPUKind = "shared"
	}
	if g.CPUs == 0 {
		g.CPUs = 1
	}
	var counts []int
	var minPer, maxPer int
	switch g.CPUKind {
	case "shared":
		counts, minPer, maxPer = sharedCPUCounts, 256, 2048
	case "performance":
		counts, minPer, maxPer = performanceCPUCounts, 2048, 8192
	default:
		return flyErrorf(http.StatusBadRequest, "invalid config.guest.cpu_kind %q: use \"shared\" or \"performance\"", g.CPUKind)
	}
	if !slices.Contains(counts, g.CPUs) {
		return flyErrorf(http.StatusBadRequest, "invalid config.guest.cpus %d for %s CPUs: use one of %v", g.CPUs, g.CPUKind, counts)
	}
	if g.MemoryMB == 0 {
		g.MemoryMB = minPer * g.CPUs
	}
	if lo, hi := minPer*g.CPUs, maxPer*g.CPUs; g.MemoryMB < lo || g.MemoryMB > hi || g.MemoryMB%256 != 0 {
		return flyErrorf(http.StatusBadRequest, "invalid config.guest.memory_mb %d for %s-cpu-%dx: use a multiple of 256 from %d to %d", g.MemoryMB, g.CPUKind, g.CPUs, lo, hi)
	}
	guest["cpu_kind"] = mustJSON(g.CPUKind)
	guest["cpus"] = mustJSON(g.CPUs)
	guest["memory_mb"] = mustJSON(g.MemoryMB)
	c.raw["guest"] = mustJSON(guest)
	return nil
}

// fillMounts writes each mount back with the fields Fly fills in from the volume.
func (c *machineConfig) fillMounts(vols []*flyVolume) {
	if len(c.mounts) == 0 {
		return
	}
	var rawMounts []map[string]json.RawMessage
	_ = json.Unmarshal(c.raw["mounts"], &rawMounts) // already decoded once in parseMachineConfig
	for i, v := range vols {
		rawMounts[i]["encrypted"] = mustJSON(v.Encrypted)
		rawMounts[i]["size_gb"] = mustJSON(v.SizeGB)
		rawMounts[i]["name"] = mustJSON(v.Name)
	}
	c.raw["mounts"] = mustJSON(rawMounts)
}

// viewConfig reads the typed view back out of a stored config.
func viewConfig(raw map[string]json.RawMessage) *machineConfig {
	c := &machineConfig{raw: raw}
	_ = unmarshalField(raw, "image", &c.image)
	_ = unmarshalField(raw, "env", &c.env)
	_ = unmarshalField(raw, "metadata", &c.metadata)
	_ = unmarshalField(raw, "mounts", &c.mounts)
	_ = unmarshalField(raw, "guest", &c.guest)
	return c
}

// unmarshalField decodes raw[key] into v when present and not null.
func unmarshalField(raw map[string]json.RawMessage, key string, v any) error {
	data, ok := raw[key]
	if !ok || string(data) == "null" {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return flyErrorf(http.StatusBadRequest, "invalid config.%s: %v", key, err)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sim: encode %T: %v", v, err))
	}
	return data
}

// imageRefJSON is the machine's image_ref, parsed from config.image the way Fly reports it.
type imageRefJSON struct {
	Registry   string            `json:"registry"`
	Repository string            `json:"repository"`
	Tag        string            `json:"tag"`
	Digest     string            `json:"digest"`
	Labels     map[string]string `json:"labels"`
}

// parseImageRef splits "registry/repo:tag@digest". Docker Hub images resolve through Fly's
// mirror; a missing digest is a stable fake one (the simulator pulls nothing).
func parseImageRef(image string) imageRefJSON {
	rest, digest, _ := strings.Cut(image, "@")
	registry := "docker-hub-mirror.fly.io"
	if first, after, ok := strings.Cut(rest, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		registry, rest = first, after
	} else if !ok {
		rest = "library/" + rest
	}
	tag := "latest"
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		rest, tag = rest[:i], rest[i+1:]
	}
	if digest == "" {
		sum := sha256.Sum256([]byte(image))
		digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	return imageRefJSON{Registry: registry, Repository: rest, Tag: tag, Digest: digest, Labels: map[string]string{}}
}
