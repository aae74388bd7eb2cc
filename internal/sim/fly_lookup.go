package sim

import "net/http"

// Most Fly handlers act on one thing the path names, under the simulator's lock. These run a
// handler's body with that thing found, and answer the lookup's error in Fly's shape instead
// (an unknown app or machine is a 404, another organization's app a 403, a machine being
// destroyed a 412), so every endpoint refuses in the same way.

// withApp runs h on the app {app} names.
func (f *Fly) withApp(w http.ResponseWriter, r *http.Request, h func(a *flyApp)) {
	underLock(f, w, func() (*flyApp, *flyApp, error) {
		a, err := f.app(r.PathValue("app"))
		return a, a, err
	}, func(a, _ *flyApp) { h(a) })
}

// withMachine runs h on the machine {app}/{id} names; a destroyed one only when readable.
func (f *Fly) withMachine(w http.ResponseWriter, r *http.Request, readable bool, h func(a *flyApp, m *flyMachine)) {
	underLock(f, w, func() (*flyApp, *flyMachine, error) { return f.machineLocked(r, readable) }, h)
}

// withMutableMachine runs h on a live machine whose lease, if any, the caller holds.
func (f *Fly) withMutableMachine(w http.ResponseWriter, r *http.Request, h func(a *flyApp, m *flyMachine)) {
	underLock(f, w, func() (*flyApp, *flyMachine, error) { return f.mutableMachineLocked(r) }, h)
}

// withVolume runs h on the volume {app}/{id} names; a deleted one only when deleted.
func (f *Fly) withVolume(w http.ResponseWriter, r *http.Request, deleted bool, h func(a *flyApp, v *flyVolume)) {
	underLock(f, w, func() (*flyApp, *flyVolume, error) { return f.volume(r, deleted) }, h)
}

func underLock[T any](f *Fly, w http.ResponseWriter, find func() (*flyApp, T, error), h func(*flyApp, T)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, x, err := find()
	if err != nil {
		writeFlyErr(w, err)
		return
	}
	h(a, x)
}
