package contract

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// StateData is what an SQL store writes for b: its data, never nil (the column is NOT NULL;
// an empty state is still a state), or StateTooLarge when it is more than a store keeps.
func StateData(b *launchpad.StateBlob) ([]byte, error) {
	if len(b.Data) > launchpad.MaxStateSize {
		return nil, StateTooLarge(b.Workspace, len(b.Data))
	}
	if b.Data == nil {
		return []byte{}, nil
	}
	return b.Data, nil
}
