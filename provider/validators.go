package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// domainRule validates a string attribute with a rule of the domain package, so Terraform
// rejects a bad value at validate time, naming the attribute, with the domain's own message.
type domainRule struct {
	description string
	check       func(string) error
}

var _ validator.String = domainRule{}

func (v domainRule) Description(context.Context) string         { return v.description }
func (v domainRule) MarkdownDescription(context.Context) string { return v.description }

func (v domainRule) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", launchpad.ErrorMessage(err))
	}
}

var (
	validPlanName = domainRule{"a plan slug: 1-40 lower-case letters, digits and dashes, starting with a letter", launchpad.ValidatePlanName}
	validPriceID  = domainRule{"a Stripe price id such as price_1NxYzAbC", launchpad.ValidateStripePriceID}
	validUserID   = domainRule{"1-128 letters, digits, '_' and '-', starting with a letter or digit", launchpad.ValidateUserID}
	validProduct  = domainRule{"1-20 lower-case letters and digits, starting with a letter", launchpad.ValidateProduct}
	validAppName  = domainRule{"a tenant app name: " + launchpad.AppNameRule, launchpad.ValidateAppName}
	validRegion   = domainRule{"one of Fly's region codes, such as iad, ams or syd", launchpad.ValidateRegion}
	validImage    = domainRule{"a container image reference such as registry.fly.io/hermes-agent:1.4.2", launchpad.ValidateImage}
)

// OpenRouter key hashes and names are checked loosely, since OpenRouter defines them.
var (
	keyHashRegexp = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)
	keyNameRegexp = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._:@()-]{0,99}$`)
)
