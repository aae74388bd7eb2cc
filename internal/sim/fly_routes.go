package sim

import "net/http"

// secretRoutes carry secret values in their bodies: the request log withholds them.
var secretRoutes = []string{"POST /v1/apps/{app}/secrets", "POST /v1/apps/{app}/secrets/{name}"}

// flyRoutes registers the Machines API. Paths follow the OpenAPI spec (servers: …/v1) and
// fly-go v0.3.1's flaps client, which prefixes every path with /v1; where the two disagree
// (app create body, lease envelope, volume update method, ip_assignments and secrets,
// which the spec lacks) the client's real requests win.
func (f *Fly) flyRoutes(mux *http.ServeMux) {
	// Apps.
	f.handle(mux, "POST /v1/apps", "", f.createApp)
	f.handle(mux, "GET /v1/apps", "", f.listApps)
	f.handle(mux, "GET /v1/apps/{app}", "", f.getApp)
	f.handle(mux, "DELETE /v1/apps/{app}", "", f.deleteApp)

	// Volumes.
	f.handle(mux, "POST /v1/apps/{app}/volumes", "", f.createVolume)
	f.handle(mux, "GET /v1/apps/{app}/volumes", "", f.listVolumes)
	f.handle(mux, "GET /v1/apps/{app}/volumes/{id}", "", f.getVolume)
	f.handle(mux, "PUT /v1/apps/{app}/volumes/{id}", "", f.updateVolume)  // what flaps sends
	f.handle(mux, "POST /v1/apps/{app}/volumes/{id}", "", f.updateVolume) // what the spec says
	f.handle(mux, "PUT /v1/apps/{app}/volumes/{id}/extend", "", f.extendVolume)
	f.handle(mux, "DELETE /v1/apps/{app}/volumes/{id}", "", f.deleteVolume)
	f.handle(mux, "GET /v1/apps/{app}/volumes/{id}/snapshots", "", f.listVolumeSnapshots)
	f.handle(mux, "POST /v1/apps/{app}/volumes/{id}/snapshots", "", f.createVolumeSnapshot)

	// IP assignments (not in the January 2024 spec; shaped after flaps).
	f.handle(mux, "POST /v1/apps/{app}/ip_assignments", "", f.assignIP)
	f.handle(mux, "GET /v1/apps/{app}/ip_assignments", "", f.listIPs)
	f.handle(mux, "DELETE /v1/apps/{app}/ip_assignments/{ip}", "", f.deleteIP)

	// App secrets (not in the spec; shaped after flaps). Values go in, never out.
	f.handle(mux, "GET /v1/apps/{app}/secrets", "", f.listSecrets)
	f.handle(mux, "POST /v1/apps/{app}/secrets", "", f.updateSecrets)
	f.handle(mux, "GET /v1/apps/{app}/secrets/{name}", "", f.getSecret)
	f.handle(mux, "POST /v1/apps/{app}/secrets/{name}", "", f.setSecret)
	f.handle(mux, "DELETE /v1/apps/{app}/secrets/{name}", "", f.deleteSecret)

	// Machines.
	f.handle(mux, "POST /v1/apps/{app}/machines", "launch", f.createMachine)
	f.handle(mux, "GET /v1/apps/{app}/machines", "", f.listMachines)
	f.handle(mux, "GET /v1/apps/{app}/machines/{id}", "get", f.getMachine)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}", "update", f.updateMachine)
	f.handle(mux, "DELETE /v1/apps/{app}/machines/{id}", "destroy", f.destroyMachine)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}/start", "start", f.startMachine)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}/stop", "stop", f.stopMachine)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}/restart", "restart", f.restartMachine)
	f.handle(mux, "GET /v1/apps/{app}/machines/{id}/wait", "wait", f.waitMachine)
	f.handle(mux, "GET /v1/apps/{app}/machines/{id}/events", "events", f.machineEvents)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}/exec", "exec", f.execMachine)
	f.handle(mux, "GET /v1/apps/{app}/machines/{id}/lease", "lease", f.getLease)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}/lease", "lease", f.acquireLease)
	f.handle(mux, "DELETE /v1/apps/{app}/machines/{id}/lease", "lease", f.releaseLease)
	f.handle(mux, "GET /v1/apps/{app}/machines/{id}/metadata", "metadata", f.getMetadata)
	f.handle(mux, "POST /v1/apps/{app}/machines/{id}/metadata/{key}", "metadata", f.setMetadata)
	f.handle(mux, "DELETE /v1/apps/{app}/machines/{id}/metadata/{key}", "metadata", f.deleteMetadata)

	// In the real API (spec or flaps) but not modelled.
	for _, p := range []string{
		"POST /v1/apps/{app}/machines/{id}/cordon",
		"POST /v1/apps/{app}/machines/{id}/uncordon",
		"POST /v1/apps/{app}/machines/{id}/signal",
		"POST /v1/apps/{app}/machines/{id}/suspend",
		"GET /v1/apps/{app}/machines/{id}/ps",
		"GET /v1/apps/{app}/machines/{id}/versions",
		"/v1/apps/{app}/certificates",
		"/v1/apps/{app}/certificates/",
		"/v1/apps/{app}/secretkeys",
		"/v1/apps/{app}/secretkeys/",
		"/v1/platform/",
	} {
		f.unbuilt(mux, p)
	}
}
