package billing

import (
	"maps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// Metadata keys a checkout session (or a subscription) may carry to override the tenant's
// product, region and image for that customer.
const (
	MetaProduct = "product"
	MetaRegion  = "region"
	MetaImage   = "image"
)

// overrideKeys and their validators: a value that fails is ignored (and logged), so a typo in
// a payment link never reaches a workspace.
var overrideKeys = map[string]func(string) error{
	MetaProduct: launchpad.ValidateProduct,
	MetaRegion:  launchpad.ValidateRegion,
	MetaImage:   launchpad.ValidateImage,
}

// validOverrides returns the valid override keys of md and the names of the invalid ones.
func validOverrides(md map[string]string) (valid map[string]string, rejected []string) {
	for k, check := range overrideKeys {
		v, ok := md[k]
		if !ok || v == "" {
			continue
		}
		if check(v) != nil {
			rejected = append(rejected, k)
			continue
		}
		if valid == nil {
			valid = map[string]string{}
		}
		valid[k] = v
	}
	return valid, rejected
}

// mergeOverrides copies the valid overrides of md into sub.Metadata (a new map, so that a
// retried UpdateUser function never shares one).
func mergeOverrides(sub *launchpad.Subscription, md map[string]string) {
	valid, _ := validOverrides(md)
	if len(valid) == 0 {
		return
	}
	merged := maps.Clone(sub.Metadata)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, valid)
	sub.Metadata = merged
}
