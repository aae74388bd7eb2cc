package sim

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// appNamePattern is Fly's rule: "Name under 63 chars using numbers, lowercase letters and
// dashes" (and a DNS label, so no leading or trailing dash).
var appNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// appJSON is an app as GET /apps/{name} and POST /apps answer it (the spec's App, widened
// to the fields flaps decodes). network is a string here although the spec's ListApp says
// object: flaps decodes it into a string, so an object would break the real client.
type appJSON struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	InternalNumericID int32      `json:"internal_numeric_id"`
	Network           string     `json:"network"`
	Status            string     `json:"status"`
	MachineCount      int        `json:"machine_count"`
	VolumeCount       int        `json:"volume_count"`
	Organization      appOrgJSON `json:"organization"`
}

type appOrgJSON struct {
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// status is "deployed" once the app has a machine that is not destroyed, "pending" before.
func (a *flyApp) status() string {
	for _, m := range a.Machines {
		if m.State != stateDestroyed {
			return "deployed"
		}
	}
	return "pending"
}

func (a *flyApp) json() appJSON {
	live := 0
	for _, m := range a.Machines {
		if m.State != stateDestroyed {
			live++
		}
	}
	return appJSON{
		ID:                a.Name,
		Name:              a.Name,
		InternalNumericID: a.NumericID,
		Network:           a.Network,
		Status:            a.status(),
		MachineCount:      live,
		VolumeCount:       len(a.Volumes),
		Organization:      appOrgJSON{Name: a.Org, Slug: a.Org},
	}
}

// createApp: POST /v1/apps. flaps sends {"name", "org_slug", "network", "app_role_id"}; the
// spec calls the name "app_name"; both are accepted. A taken name answers 422 "Validation
// failed: Name has already been taken" (Fly's documented status for a name collision).
func (f *Fly) createApp(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppName   string `json:"app_name"`
		Name      string `json:"name"`
		OrgSlug   string `json:"org_slug"`
		Network   string `json:"network"`
		AppRoleID string `json:"app_role_id"`
	}
	if err := decodeBody(r, &req, false); err != nil {
		writeFlyError(w, http.StatusBadRequest, err.Error())
		return
	}
	name := req.AppName
	if name == "" {
		name = req.Name
	}
	switch {
	case name == "":
		writeFlyError(w, http.StatusBadRequest, "app_name is required")
		return
	case !appNamePattern.MatchString(name):
		writeFlyError(w, http.StatusUnprocessableEntity, "Validation failed: Name under 63 chars using numbers, lowercase letters and dashes")
		return
	case strings.TrimSpace(req.OrgSlug) == "":
		writeFlyError(w, http.StatusBadRequest, "org_slug is required: the slug of the organization to create the app in (or \"personal\")")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.st.Apps[name]; taken {
		writeFlyError(w, http.StatusUnprocessableEntity, "Validation failed: Name has already been taken")
		return
	}
	network := req.Network
	if network == "" {
		network = "default"
	}
	f.st.NextAppNum++
	a := &flyApp{
		Name:      name,
		Org:       req.OrgSlug,
		Network:   network,
		NumericID: f.st.NextAppNum,
		CreatedAt: f.clock.Now().UTC(),
		Volumes:   map[string]*flyVolume{},
		Secrets:   map[string]*flySecret{},
		Machines:  map[string]*flyMachine{},
	}
	f.st.Apps[name] = a
	writeJSON(w, http.StatusCreated, a.json())
}

// getApp: GET /v1/apps/{app}; 404 {"error":"app not found"} — the message flaps'
// AppNameAvailable compares against.
func (f *Fly) getApp(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a.json())
}

// listApps: GET /v1/apps?org_slug=… (required) → {"total_apps", "apps"}, apps of that org only.
func (f *Fly) listApps(w http.ResponseWriter, r *http.Request) {
	org := r.URL.Query().Get("org_slug")
	if org == "" {
		writeFlyError(w, http.StatusBadRequest, "org_slug is required: GET /v1/apps?org_slug=<slug>")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	apps := []appJSON{}
	for _, a := range f.st.Apps {
		if a.Org == org {
			apps = append(apps, a.json())
		}
	}
	slices.SortFunc(apps, func(x, y appJSON) int { return strings.Compare(x.Name, y.Name) })
	writeJSON(w, http.StatusOK, map[string]any{"total_apps": len(apps), "apps": apps})
}

// deleteApp: DELETE /v1/apps/{app} → 202. Everything in the app goes with it: machines
// (each gets its destroy event first), volumes, IP assignments and secrets. Afterwards the
// app answers 404 and its name is free again.
func (f *Fly) deleteApp(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.app(r.PathValue("app"))
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	now := f.clock.Now()
	for _, m := range a.Machines {
		if m.State != stateDestroyed {
			f.destroyLocked(a, m, now)
		}
	}
	delete(f.st.Apps, a.Name)
	f.notifyLocked()
	w.WriteHeader(http.StatusAccepted)
}

// app returns the named app or a 404.
func (f *Fly) app(name string) (*flyApp, error) {
	a, ok := f.st.Apps[name]
	if !ok {
		return nil, flyErrorf(http.StatusNotFound, "app not found")
	}
	return a, nil
}

// rfc3339 formats t as Fly does in JSON: UTC, second precision.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
