package sim

import (
	"fmt"
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
	live, vols := 0, 0
	for _, m := range a.Machines {
		if m.State != stateDestroyed {
			live++
		}
	}
	for _, v := range a.Volumes {
		if v.DeletedAt.IsZero() {
			vols++
		}
	}
	return appJSON{
		ID:                a.Name,
		Name:              a.Name,
		InternalNumericID: a.NumericID,
		Network:           a.Network,
		Status:            a.status(),
		MachineCount:      live,
		VolumeCount:       vols,
		Organization:      appOrgJSON{Name: a.Org, Slug: a.Org},
	}
}

// createApp: POST /v1/apps. flaps sends {"name", "org_slug", "network", "app_role_id"}; the
// spec calls the name "app_name"; both are accepted. App names are global: a name taken in
// one of the token's organizations answers 422 "Validation failed: Name has already been
// taken" (the text flyctl users report), one taken by another organization 422 "uniqueness
// constraint violated" (the text seen from the Machines API); clients must accept both. An
// organization the token is not a member of answers 403 "unauthorized".
func (f *Fly) createApp(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AppName   string `json:"app_name"`
		Name      string `json:"name"`
		OrgSlug   string `json:"org_slug"`
		Network   string `json:"network"`
		AppRoleID string `json:"app_role_id"`
	}
	if !decodeOr(w, r, &req, false, writeFlyError) {
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
	if !f.memberLocked(req.OrgSlug) {
		writeFlyError(w, http.StatusForbidden, "unauthorized")
		return
	}
	if taken, ok := f.st.Apps[name]; ok {
		msg := "Validation failed: Name has already been taken"
		if !f.memberLocked(taken.Org) {
			msg = "uniqueness constraint violated"
		}
		writeFlyError(w, http.StatusUnprocessableEntity, msg)
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
// AppNameAvailable compares against — and 403 {"error":"unauthorized"} for an app of an
// organization the token is not a member of (flaps: "app exists, but in an org we do not have
// access to").
func (f *Fly) getApp(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *flyApp) {
		writeJSON(w, http.StatusOK, a.json())
	})
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
	if !f.memberLocked(org) {
		writeFlyError(w, http.StatusForbidden, "unauthorized")
		return
	}
	now := f.clock.Now()
	apps := []appJSON{}
	for _, a := range f.st.Apps {
		if a.Org == org {
			f.settleAppLocked(a, now)
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
	f.withApp(w, r, func(a *flyApp) {
		now := f.clock.Now()
		for _, m := range a.Machines {
			if m.State != stateDestroyed {
				f.destroyedLocked(a, m, now)
			}
		}
		delete(f.st.Apps, a.Name)
		f.notifyLocked()
		w.WriteHeader(http.StatusAccepted)
	})
}

// app returns the named app, its asynchronous changes settled up to now; 404 when there is
// none, 403 "unauthorized" when it belongs to an organization the token is not a member of.
func (f *Fly) app(name string) (*flyApp, error) {
	a, ok := f.st.Apps[name]
	if !ok {
		return nil, flyErrorf(http.StatusNotFound, "app not found")
	}
	if !f.memberLocked(a.Org) {
		return nil, flyErrorf(http.StatusForbidden, "unauthorized")
	}
	f.settleAppLocked(a, f.clock.Now())
	return a, nil
}

// memberLocked reports whether the token is a member of org: one of FlyOptions.Orgs, or,
// without them, any organization not made foreign by CreateForeignApp.
func (f *Fly) memberLocked(org string) bool {
	if len(f.orgs) > 0 {
		return slices.Contains(f.orgs, org)
	}
	return !f.st.ForeignOrgs[org]
}

// CreateForeignApp makes an app called name in org, an organization the simulator's token is
// not a member of: the name is then taken for the token's organizations (creating it answers
// 422) and reading it answers 403, as on Fly, where app names are global. It fails if the name
// is taken, not a valid app name, or org is one of the token's.
func (f *Fly) CreateForeignApp(name, org string) error {
	if !appNamePattern.MatchString(name) || strings.TrimSpace(org) == "" {
		return fmt.Errorf("sim: foreign app %q in org %q: give a valid app name and an organization", name, org)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.st.Apps[name]; taken {
		return fmt.Errorf("sim: foreign app %q: the name is taken", name)
	}
	if slices.Contains(f.orgs, org) {
		return fmt.Errorf("sim: foreign app %q: the token is a member of %q", name, org)
	}
	for _, a := range f.st.Apps {
		if a.Org == org && !f.st.ForeignOrgs[org] {
			return fmt.Errorf("sim: foreign app %q: the token already has apps in %q", name, org)
		}
	}
	f.st.ForeignOrgs[org] = true
	f.st.NextAppNum++
	f.st.Apps[name] = &flyApp{
		Name: name, Org: org, Network: "default", NumericID: f.st.NextAppNum, CreatedAt: f.clock.Now().UTC(),
		Volumes: map[string]*flyVolume{}, Secrets: map[string]*flySecret{}, Machines: map[string]*flyMachine{},
	}
	return nil
}

// rfc3339 formats t as Fly does in JSON: UTC, second precision.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
