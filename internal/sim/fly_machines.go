package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"
)

// machineJSON is a machine as the API answers it (the spec's Machine, as flaps decodes it).
type machineJSON struct {
	ID         string                     `json:"id"`
	Name       string                     `json:"name"`
	State      string                     `json:"state"`
	Region     string                     `json:"region"`
	ImageRef   imageRefJSON               `json:"image_ref"`
	InstanceID string                     `json:"instance_id"`
	PrivateIP  string                     `json:"private_ip"`
	CreatedAt  string                     `json:"created_at"`
	UpdatedAt  string                     `json:"updated_at"`
	Config     map[string]json.RawMessage `json:"config"`
	Events     []eventJSON                `json:"events"`
	Checks     []checkStatusJSON          `json:"checks"`
	HostStatus string                     `json:"host_status"`
	// Nonce is only ever returned on create with lease_ttl (spec).
	Nonce string `json:"nonce,omitempty"`
}

// eventJSON is a machine event; timestamp is Unix milliseconds.
type eventJSON struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Status    string          `json:"status"`
	Source    string          `json:"source"`
	Timestamp int64           `json:"timestamp"`
	Request   json.RawMessage `json:"request,omitempty"`
}

func (m *flyMachine) json() machineJSON {
	var image string
	_ = unmarshalField(m.Config, "image", &image)
	return machineJSON{
		ID: m.ID, Name: m.Name, State: m.State, Region: m.Region, ImageRef: parseImageRef(image),
		InstanceID: m.InstanceID, PrivateIP: m.PrivateIP,
		CreatedAt: rfc3339(m.CreatedAt), UpdatedAt: rfc3339(m.UpdatedAt),
		Config: m.Config, Events: m.eventsNewestFirst(), Checks: m.checkStatuses(), HostStatus: "ok",
	}
}

// eventsNewestFirst lists events the way Fly does: the most recent first.
func (m *flyMachine) eventsNewestFirst() []eventJSON {
	out := make([]eventJSON, 0, len(m.Events))
	for i := len(m.Events) - 1; i >= 0; i-- {
		e := m.Events[i]
		out = append(out, eventJSON{ID: e.ID, Type: e.Type, Status: e.Status, Source: e.Source, Timestamp: e.Timestamp, Request: e.Request})
	}
	return out
}

// machineRequest is the body of create and update (flaps' LaunchMachineInput).
type machineRequest struct {
	Config     json.RawMessage `json:"config"`
	Region     string          `json:"region"`
	Name       string          `json:"name"`
	SkipLaunch bool            `json:"skip_launch"`
	LeaseTTL   int             `json:"lease_ttl"`
	// SkipSecrets leaves the app's secrets out of the machine; flaps always sends it.
	SkipSecrets bool `json:"skip_secrets"`
	// MinSecretsVersion makes the request wait until that version of the app's secrets has
	// propagated, and gives the machine at least that version (fly-go's LaunchMachineInput).
	MinSecretsVersion *uint64 `json:"min_secrets_version"`
}

// decodeMachineRequest reads a create's or update's body and its config; when either is
// wrong it answers the 400 and returns false.
func decodeMachineRequest(w http.ResponseWriter, r *http.Request) (machineRequest, *machineConfig, bool) {
	var req machineRequest
	if !decodeOr(w, r, &req, false, writeFlyError) {
		return req, nil, false
	}
	cfg, err := parseMachineConfig(req.Config)
	if err != nil {
		writeFlyErr(w, err)
		return req, nil, false
	}
	return req, cfg, true
}

// createMachine: POST /v1/apps/{app}/machines. The machine is answered "created" and
// launches afterwards (a start event by flyd once Transitions.Start has passed, state
// "started"), unless skip_launch, which leaves it "created". It gets the app's secrets as of
// the newest version that has propagated (at least min_secrets_version, which the request
// waits for). A mounted volume must belong to the app, be in the machine's region and not be
// attached to another machine, destroying ones included (412). Names are unique among an
// app's live machines (409 "already_exists: unique machine name violation, …").
func (f *Fly) createMachine(w http.ResponseWriter, r *http.Request) {
	req, cfg, ok := decodeMachineRequest(w, r)
	if !ok {
		return
	}
	if req.Region != "" && !validRegion(req.Region) {
		writeFlyError(w, http.StatusBadRequest, regionError(req.Region))
		return
	}
	if err := f.awaitSecrets(r, req.MinSecretsVersion); err != nil {
		writeFlyErr(w, err)
		return
	}
	f.withApp(w, r, func(a *flyApp) {
		now := f.clock.Now()
		id := randomHex(7)
		for a.Machines[id] != nil {
			id = randomHex(7)
		}
		region, vols, err := f.placeLocked(a, id, req.Region, cfg)
		if err != nil {
			writeFlyErr(w, err)
			return
		}
		name := req.Name
		for name == "" || (req.Name == "" && f.checkNameLocked(a, name, id, now) != nil) {
			name = machineName() // a generated name never collides
		}
		if err := f.checkNameLocked(a, name, id, now); err != nil {
			writeFlyErr(w, err)
			return
		}
		cfg.fillMounts(vols)
		f.st.NextPrivateNum++
		instance := ulid(now)
		m := &flyMachine{
			ID: id, Name: name, State: stateCreated, Region: region,
			InstanceID: instance, Instances: []string{instance},
			PrivateIP: canonicalIP(fmt.Sprintf("fdaa:0:%x:a7b:%x::2", f.networkNumLocked(a.Org, a.Network), f.st.NextPrivateNum)),
			Config:    cfg.raw, CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
		}
		if err := f.giveSecretsLocked(a, m, now, req.MinSecretsVersion, req.SkipSecrets); err != nil {
			writeFlyErr(w, err)
			return
		}
		for _, v := range vols {
			v.AttachedMachineID = m.ID
		}
		a.Machines[m.ID] = m
		f.eventLocked(m, "launch", stateCreated, "user", now, nil)
		var steps []*flyStep
		if !req.SkipLaunch {
			steps = append(steps, f.step(now.Add(f.tr.Start), stateStarted, "start", "flyd", nil))
		}
		f.scheduleLocked(a, m, now, stateCreated, steps...)
		out := m.json()
		if req.LeaseTTL > 0 {
			m.Lease = f.newLeaseLocked(m, time.Duration(req.LeaseTTL)*time.Second, "", now)
			out.Nonce = m.Lease.Nonce
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// placeLocked resolves the machine's region and the volumes it mounts: each must exist in
// the app, sit in the machine's region, and be free or already this machine's.
func (f *Fly) placeLocked(a *flyApp, machineID, region string, cfg *machineConfig) (string, []*flyVolume, error) {
	var vols []*flyVolume
	for _, mnt := range cfg.mounts {
		v, ok := a.Volumes[mnt.Volume]
		if !ok {
			return "", nil, flyErrorf(http.StatusBadRequest, "invalid config.mounts: volume %s not found in app %s", mnt.Volume, a.Name)
		}
		if !v.DeletedAt.IsZero() {
			return "", nil, flyErrorf(http.StatusBadRequest, "invalid config.mounts: volume %s not found in app %s", mnt.Volume, a.Name)
		}
		if v.AttachedMachineID != "" && v.AttachedMachineID != machineID {
			state := ""
			if other, ok := a.Machines[v.AttachedMachineID]; ok {
				state = " (" + other.State + ")"
			}
			return "", nil, flyErrorf(http.StatusPreconditionFailed, "failed_precondition: volume %s is attached to machine %s%s: a volume can be mounted by one machine only, and a destroyed machine lets go of it only once it is destroyed", v.ID, v.AttachedMachineID, state)
		}
		if region == "" {
			region = v.Region
		}
		if v.Region != region {
			return "", nil, flyErrorf(http.StatusBadRequest, "volume %s is in region %s but the machine is in %s: a machine must run where its volume is", v.ID, v.Region, region)
		}
		vols = append(vols, v)
	}
	if region == "" {
		region = f.region
	}
	return region, vols, nil
}

// checkNameLocked refuses a name another live machine of the app already has.
func (f *Fly) checkNameLocked(a *flyApp, name, selfID string, now time.Time) error {
	for _, other := range a.Machines {
		if other.ID != selfID && other.Name == name && !f.goneLocked(other, now) && other.State != stateDestroyed {
			return flyErrorf(http.StatusConflict, "already_exists: unique machine name violation, machine ID %s already exists with name %q", other.ID, name)
		}
	}
	return nil
}

// getMachine: GET /v1/apps/{app}/machines/{id}. A destroyed machine stays readable (state
// "destroyed") for DestroyedRetention, then answers 404.
func (f *Fly) getMachine(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, true, func(_ *flyApp, m *flyMachine) {
		writeJSON(w, http.StatusOK, m.json())
	})
}

// listMachines: GET /v1/apps/{app}/machines[?include_deleted=true][&region=…] → [machine…],
// oldest first. Destroyed machines are listed only with include_deleted.
func (f *Fly) listMachines(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	includeDeleted := q.Get("include_deleted") == "true"
	region := q.Get("region")
	f.withApp(w, r, func(a *flyApp) {
		now := f.clock.Now()
		ms := []*flyMachine{}
		for _, m := range a.Machines {
			if f.goneLocked(m, now) {
				delete(a.Machines, m.ID)
				continue
			}
			if (m.State == stateDestroyed && !includeDeleted) || (region != "" && m.Region != region) {
				continue
			}
			ms = append(ms, m)
		}
		sortOldestFirst(ms)
		out := make([]machineJSON, 0, len(ms))
		for _, m := range ms {
			out = append(out, m.json())
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// updateMachine: POST /v1/apps/{app}/machines/{id} with a whole new config (under the lease,
// if one is held). The machine gets a new instance_id and the app's secrets as of the newest
// propagated version (at least min_secrets_version, which the request waits for). A started
// machine is replaced: "replacing", then "started" on the new version once Transitions.Start
// has passed (its volumes' filesystems are then seen at their current size). A stopped or
// created one is left as it was, as Fly does ("machine was in a non-started state prior to
// the update so leaving the new version stopped"). A machine in the middle of a change
// answers 412.
func (f *Fly) updateMachine(w http.ResponseWriter, r *http.Request) {
	req, cfg, ok := decodeMachineRequest(w, r)
	if !ok {
		return
	}
	if err := f.awaitSecrets(r, req.MinSecretsVersion); err != nil {
		writeFlyErr(w, err)
		return
	}
	f.withMutableMachine(w, r, func(a *flyApp, m *flyMachine) {
		if m.transitional() {
			writeFlyErr(w, refuseTransitional("update", m))
			return
		}
		if req.Region != "" && req.Region != m.Region {
			writeFlyError(w, http.StatusBadRequest, fmt.Sprintf("cannot move machine %s from %s to %s: create a new machine in that region instead", m.ID, m.Region, req.Region))
			return
		}
		_, vols, err := f.placeLocked(a, m.ID, m.Region, cfg)
		if err != nil {
			writeFlyErr(w, err)
			return
		}
		now := f.clock.Now()
		name := m.Name
		if req.Name != "" {
			name = req.Name
		}
		if err := f.checkNameLocked(a, name, m.ID, now); err != nil {
			writeFlyErr(w, err)
			return
		}
		if err := f.giveSecretsLocked(a, m, now, req.MinSecretsVersion, req.SkipSecrets); err != nil {
			writeFlyErr(w, err)
			return
		}
		cfg.fillMounts(vols)
		for _, v := range a.Volumes { // detach what the new config no longer mounts
			if v.AttachedMachineID == m.ID && !slices.Contains(vols, v) {
				v.AttachedMachineID = ""
			}
		}
		for _, v := range vols {
			v.AttachedMachineID = m.ID
		}
		m.Name, m.Config, m.UpdatedAt = name, cfg.raw, now.UTC()
		m.InstanceID = ulid(now)
		m.Instances = append(m.Instances, m.InstanceID)
		if m.State == stateStarted {
			f.scheduleLocked(a, m, now, stateReplacing, f.step(now.Add(f.tr.Start), stateStarted, "update", "user", nil))
		} else {
			f.eventLocked(m, "update", m.State, "user", now, nil)
			f.notifyLocked()
		}
		writeJSON(w, http.StatusOK, m.json())
	})
}

// destroyMachine: DELETE /v1/apps/{app}/machines/{id}[?kill=true]. A running machine is
// destroyed only with kill=true (or force=true); otherwise 412, as Fly refuses it. The machine
// is "destroying" until Transitions.Destroy has passed, and keeps its volumes attached until
// then: mounting or deleting one of them meanwhile answers 412.
func (f *Fly) destroyMachine(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kill := q.Get("kill") == "true" || q.Get("force") == "true"
	f.withMutableMachine(w, r, func(a *flyApp, m *flyMachine) {
		if m.State == stateDestroying {
			writeFlyErr(w, refuseTransitional("destroy", m))
			return
		}
		if m.running() && !kill {
			writeFlyError(w, http.StatusPreconditionFailed, "unable to destroy machine, not currently stopped: stop it first or pass kill=true")
			return
		}
		now := f.clock.Now()
		if m.running() {
			f.eventLocked(m, "exit", stateStopped, "flyd", now, exitRequest(now, 9))
		}
		m.Lease = nil
		f.scheduleLocked(a, m, now, stateDestroying, f.step(now.Add(f.tr.Destroy), stateDestroyed, "destroy", "user", nil))
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// destroyedLocked destroys a machine at once (its app is being deleted): killed if it runs,
// its destroy recorded, its volumes, lease and name freed.
func (f *Fly) destroyedLocked(a *flyApp, m *flyMachine, now time.Time) {
	if m.running() {
		f.eventLocked(m, "exit", stateStopped, "flyd", now, exitRequest(now, 9))
	}
	f.eventLocked(m, "destroy", stateDestroyed, "user", now, nil)
	f.enterLocked(a, m, stateDestroyed, now)
}

// machineLocked finds {app}/{id}; destroyed machines count only when readable is true, and
// only within the retention.
func (f *Fly) machineLocked(r *http.Request, readable bool) (*flyApp, *flyMachine, error) {
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		return nil, nil, err
	}
	m, ok := a.Machines[r.PathValue("id")]
	if ok && f.goneLocked(m, f.clock.Now()) {
		delete(a.Machines, m.ID)
		ok = false
	}
	if !ok || (m.State == stateDestroyed && !readable) {
		return nil, nil, flyErrorf(http.StatusNotFound, "machine not found")
	}
	return a, m, nil
}

// mutableMachineLocked finds a live machine and checks the caller holds its lease, if any.
// A machine being destroyed answers 412.
func (f *Fly) mutableMachineLocked(r *http.Request) (*flyApp, *flyMachine, error) {
	a, m, err := f.machineLocked(r, false)
	if err != nil {
		return nil, nil, err
	}
	if m.State == stateDestroying && r.Method != http.MethodDelete {
		return nil, nil, flyErrorf(http.StatusPreconditionFailed, "failed_precondition: machine %s is being destroyed", m.ID)
	}
	if err := f.checkLeaseLocked(m, r); err != nil {
		return nil, nil, err
	}
	return a, m, nil
}

// goneLocked reports whether a destroyed machine's tombstone has expired.
func (f *Fly) goneLocked(m *flyMachine, now time.Time) bool {
	return m.State == stateDestroyed && now.Sub(m.DestroyedAt) > f.retention
}

// eventLocked appends an event stamped with the simulator's clock.
func (f *Fly) eventLocked(m *flyMachine, typ, status, source string, now time.Time, request json.RawMessage) {
	m.Events = append(m.Events, &flyEvent{ID: ulid(now), Type: typ, Status: status, Source: source, Timestamp: now.UnixMilli(), Request: request})
	m.UpdatedAt = now.UTC()
}

// notifyLocked wakes every /wait.
func (f *Fly) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// ulid returns a ULID-shaped id (26 Crockford base-32 characters, time-ordered), the shape
// of Fly's instance and event ids.
func ulid(t time.Time) string {
	ms := uint64(t.UnixMilli())
	var ts [10]byte
	for i := 9; i >= 0; i-- {
		ts[i] = crockford[ms&31]
		ms >>= 5
	}
	return string(ts[:]) + randomFrom(crockford, 16)
}

var nameAdjectives = []string{"ancient", "billowing", "crimson", "damp", "eager", "fragrant", "gentle", "hidden", "icy", "jolly", "lively", "misty", "noisy", "polished", "quiet", "rough"}
var nameNouns = []string{"bird", "brook", "cloud", "dawn", "field", "fire", "frost", "grass", "lake", "leaf", "moon", "pond", "river", "sea", "snow", "wave"}

// machineName makes a Fly-style name such as "misty-river-4821" (cosmetic, so math/rand).
func machineName() string {
	return fmt.Sprintf("%s-%s-%04d", nameAdjectives[rand.IntN(len(nameAdjectives))], nameNouns[rand.IntN(len(nameNouns))], rand.IntN(10000))
}
