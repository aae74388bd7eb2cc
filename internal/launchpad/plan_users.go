package launchpad

import (
	"context"
	"fmt"
	"sort"
)

// PlanUsers names the tenants and sub-keys on a plan ("tenant APP", "sub-key HASH"), sorted,
// the first five and then how many more: what a refusal to delete the plan shows.
func PlanUsers(ctx context.Context, st Store, plan string) ([]string, error) {
	var users []string
	tenants, err := st.ListTenants(ctx, TenantFilter{})
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		if t.Plan == plan {
			users = append(users, "tenant "+t.AppName)
		}
	}
	keys, err := st.ListSubKeys(ctx, SubKeyFilter{})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if k.Plan == plan {
			users = append(users, "sub-key "+k.Hash)
		}
	}
	sort.Strings(users)
	if len(users) > 5 {
		users = append(users[:5], fmt.Sprintf("%d more", len(users)-5))
	}
	return users, nil
}
