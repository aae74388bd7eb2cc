package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// timeoutOf names which operation's configured timeout applies: one of timeouts.Value's
// Create, Read, Update or Delete methods, as a method expression (timeouts.Value.Read).
type timeoutOf func(timeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics)

// begin reads a CRUD call's model from src into m and bounds ctx by the call's configured
// timeout; t is m's timeouts attribute, read once m is. ok is false, with the reasons in
// diags (also those appended before the call), when either fails; cancel is then a no-op.
func begin(ctx context.Context, src modelSource, m any, t *timeouts.Value, of timeoutOf, dflt time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, bool) {
	diags.Append(src.Get(ctx, m)...)
	if diags.HasError() {
		return ctx, func() {}, false
	}
	return withTimeout(ctx, func(ctx context.Context, d time.Duration) (time.Duration, diag.Diagnostics) {
		return of(*t, ctx, d)
	}, dflt, diags)
}

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
