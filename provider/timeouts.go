package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// withTimeout bounds an operation by the resource's configured timeout (or dflt). The getter
// is one of timeouts.Value's Create, Read, Update or Delete methods.
func withTimeout(ctx context.Context, get func(context.Context, time.Duration) (time.Duration, diag.Diagnostics), dflt time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, bool) {
	d, ds := get(ctx, dflt)
	diags.Append(ds...)
	if diags.HasError() {
		return ctx, func() {}, false
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, true
}
