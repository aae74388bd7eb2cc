package contract

import "github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"

// The refusals and misses that name a record by a unique value other than its key. Each
// store quotes the value it is given; those that quote input a caller controls clip it first.

// EmailTaken is ECONFLICT: another user has email.
func EmailTaken(email string) error {
	return launchpad.Errorf(launchpad.ECONFLICT, "email %q is already used by another user", email)
}

// PriceTaken is ECONFLICT: another plan has the Stripe price.
func PriceTaken(priceID string) error {
	return launchpad.Errorf(launchpad.ECONFLICT, "stripe_price_id %q already belongs to another plan; each Stripe price maps to one plan", priceID)
}

// NoUserWithEmail is ENOTFOUND for a lookup by email.
func NoUserWithEmail(email string) error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "no user has email %q", email)
}

// NoUserWithCustomer is ENOTFOUND for a lookup by Stripe customer.
func NoUserWithCustomer(customerID string) error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "no user has Stripe customer %q", customerID)
}

// NoPlanWithPrice is ENOTFOUND for a lookup by Stripe price.
func NoPlanWithPrice(priceID string) error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "no plan has stripe_price_id %q", priceID)
}

// StateTooLarge is EINVALID: a Terraform state of size bytes is more than a store keeps.
func StateTooLarge(workspace string, size int) error {
	return launchpad.Errorf(launchpad.EINVALID, "the Terraform state of workspace %q is %d bytes, more than the %d bytes a store keeps; split the workspace", workspace, size, launchpad.MaxStateSize)
}
