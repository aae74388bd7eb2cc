package launchpad

import (
	"context"
	"strings"
)

// ReplacePlan overwrites the stored plan p.Name with p, keeping when it was created.
func ReplacePlan(ctx context.Context, st Store, p *Plan) (*Plan, error) {
	return st.UpdatePlan(ctx, p.Name, func(rec *Plan) error {
		created := rec.CreatedAt
		*rec = *p
		rec.CreatedAt = created
		return nil
	})
}

// RemovePlan deletes a plan that no tenant or sub-key is on; one already gone is fine. A plan
// in use is ECONFLICT, naming its users (PlanUsers): the control plane and the next apply of
// those users need it.
func RemovePlan(ctx context.Context, st Store, name string) error {
	users, err := PlanUsers(ctx, st, name)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return Errorf(ECONFLICT, "Plan %q is still used by %s. Move them to another plan or destroy them first; "+
			"referencing the plan as launchpad_plan.<name>.name lets Terraform order this for you.", name, strings.Join(users, ", "))
	}
	if err := st.DeletePlan(ctx, name); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}
