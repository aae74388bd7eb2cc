package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func guest(kind string, cpus, memoryMB int) launchpad.Guest {
	return launchpad.Guest{CPUKind: kind, CPUs: cpus, MemoryMB: memoryMB}
}

// checkFleetIsolated asserts, over everything the Fly simulator holds, that no two tenants
// share a network, volume, IP or key secret, and that every volume is encrypted and mounted
// only by a machine of its own app.
func (e *testEnv) checkFleetIsolated(*terraform.State) error {
	owner := map[string]string{} // network, volume id, address or secret digest → app
	claim := func(kind, v, app string) error {
		if prev, ok := owner[kind+v]; ok && prev != app {
			return fmt.Errorf("%s %s is shared by %s and %s", kind, v, prev, app)
		}
		owner[kind+v] = app
		return nil
	}
	for _, a := range e.fly.Sim.Snapshot().Apps {
		if err := claim("network", a.Network, a.Name); err != nil {
			return err
		}
		vols := map[string]bool{}
		for _, v := range a.Volumes {
			if !v.Encrypted {
				return fmt.Errorf("volume %s of %s is not encrypted", v.ID, a.Name)
			}
			vols[v.ID] = true
			if err := claim("volume", v.ID, a.Name); err != nil {
				return err
			}
		}
		for _, ip := range a.IPs {
			if err := claim("ip", ip.Address, a.Name); err != nil {
				return err
			}
		}
		for _, s := range a.Secrets {
			if err := claim("secret", s.Digest, a.Name); err != nil {
				return err
			}
		}
		for _, m := range a.Machines {
			for _, mt := range m.Mounts {
				if !vols[mt.Volume] {
					return fmt.Errorf("machine %s of %s mounts volume %s, which is not its app's", m.ID, a.Name, mt.Volume)
				}
			}
		}
	}
	return nil
}
