package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// The attribute shapes the resources share, so each one says the same thing the same way.

// stableString is a computed string that keeps its value from state in a plan, so an update
// that does not change it shows no "(known after apply)".
func stableString(desc string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, Description: desc, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
}

// stableBool is stableString for a boolean.
func stableBool(desc string) schema.BoolAttribute {
	return schema.BoolAttribute{Computed: true, Description: desc, PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}}
}

// replacingString is a required string whose change replaces the resource.
func replacingString(desc string, v validator.String) schema.StringAttribute {
	return schema.StringAttribute{Required: true, Description: desc, Validators: []validator.String{v},
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}}
}

// generation is a counter, 0 by default, that a user bumps to ask for an action (a rotation,
// a rebuild, a reset).
func generation(desc string) schema.Int64Attribute {
	return schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(0), Description: desc,
		Validators: []validator.Int64{int64validator.AtLeast(0)}}
}

// crudTimeouts is the timeouts block of a resource whose every operation can wait on Fly or
// OpenRouter.
func crudTimeouts(ctx context.Context) schema.Attribute {
	return timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true})
}
