package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stripe/stripe-go/v76"
	stripeclient "github.com/stripe/stripe-go/v76/client"

	"github.com/clawdrun/terraform-provider-launchpad/internal/fly"
	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/openrouter"
)

// StripeMetadataKey marks the Stripe test objects a live run makes; its value is the prefix.
const StripeMetadataKey = "launchpad_live"

// Swept counts what a sweep deleted.
type Swept struct {
	Apps, Keys, Customers, Products int
}

func (s Swept) String() string {
	return fmt.Sprintf("%d Fly apps, %d OpenRouter keys, %d Stripe customers, %d Stripe products", s.Apps, s.Keys, s.Customers, s.Products)
}

// Sweep deletes everything that carries the configuration's prefix: the Fly apps of FlyOrg
// named lp-<product>-<prefix>… (an app takes its machines, volumes, IPs and secrets with
// it), the OpenRouter keys named launchpad-<prefix>…, and the Stripe test customers
// (their subscriptions are cancelled with them) and products marked launchpad_live=<prefix>.
// Only what it is configured for is swept: Stripe is skipped without a key. It goes on past a
// failure and returns every error at the end, so one stuck object does not keep the others.
func Sweep(ctx context.Context, c Config, log io.Writer) (Swept, error) {
	var done Swept
	var errs []error
	if c.FlyToken != "" && c.FlyOrg != "" {
		n, err := sweepFly(ctx, c, log)
		done.Apps = n
		errs = append(errs, err)
	}
	if c.ORKey != "" {
		n, err := sweepOpenRouter(ctx, c, log)
		done.Keys = n
		errs = append(errs, err)
	}
	if c.StripeKey != "" {
		customers, products, err := sweepStripe(ctx, c, log)
		done.Customers, done.Products = customers, products
		errs = append(errs, err)
	}
	return done, errors.Join(errs...)
}

func sweepFly(ctx context.Context, c Config, log io.Writer) (int, error) {
	rt, err := fly.New(ctx, fly.Config{BaseURL: c.FlyURL, Token: c.FlyToken, Org: c.FlyOrg})
	if err != nil {
		return 0, err
	}
	apps, err := rt.ListApps(ctx, c.FlyOrg)
	if err != nil {
		return 0, fmt.Errorf("sweep: listing the apps of %s: %w", c.FlyOrg, err)
	}
	n := 0
	var errs []error
	for _, a := range apps {
		if !c.OwnsApp(a.Name) {
			continue
		}
		if err := rt.DeleteApp(ctx, a.Name); err != nil && !launchpad.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("sweep: deleting app %s: %w", a.Name, err))
			continue
		}
		n++
		fmt.Fprintf(log, "swept Fly app %s\n", a.Name)
	}
	return n, errors.Join(errs...)
}

func sweepOpenRouter(ctx context.Context, c Config, log io.Writer) (int, error) {
	or, err := openrouter.New(openrouter.Config{BaseURL: c.ORURL, ManagementKey: c.ORKey})
	if err != nil {
		return 0, err
	}
	keys, err := or.ListKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep: listing OpenRouter keys: %w", err)
	}
	n := 0
	var errs []error
	for _, k := range keys {
		if !c.OwnsKey(k.Name) {
			continue
		}
		if err := or.DeleteKey(ctx, k.Hash); err != nil && !launchpad.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("sweep: deleting OpenRouter key %s (%s): %w", k.Hash, k.Name, err))
			continue
		}
		n++
		fmt.Fprintf(log, "swept OpenRouter key %s (%s)\n", k.Name, k.Label)
	}
	return n, errors.Join(errs...)
}

// sweepStripe deletes the marked test customers (Stripe cancels their subscriptions with them)
// and archives the marked products (a product with prices cannot be deleted; an archived one
// cannot be bought).
func sweepStripe(ctx context.Context, c Config, log io.Writer) (customers, products int, err error) {
	sc := stripeclient.New(c.StripeKey, nil)
	query := fmt.Sprintf("metadata['%s']:'%s'", StripeMetadataKey, c.Prefix)
	var errs []error
	cp := &stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: query, Context: ctx}}
	cit := sc.Customers.Search(cp)
	for cit.Next() {
		cu := cit.Customer()
		if _, err := sc.Customers.Del(cu.ID, &stripe.CustomerParams{Params: stripe.Params{Context: ctx}}); err != nil {
			errs = append(errs, fmt.Errorf("sweep: deleting Stripe customer %s: %w", cu.ID, err))
			continue
		}
		customers++
		fmt.Fprintf(log, "swept Stripe customer %s\n", cu.ID)
	}
	if err := cit.Err(); err != nil {
		errs = append(errs, fmt.Errorf("sweep: searching Stripe customers: %w", err))
	}
	pp := &stripe.ProductSearchParams{SearchParams: stripe.SearchParams{Query: query + " AND active:'true'", Context: ctx}}
	pit := sc.Products.Search(pp)
	for pit.Next() {
		p := pit.Product()
		if _, err := sc.Products.Update(p.ID, &stripe.ProductParams{Params: stripe.Params{Context: ctx}, Active: stripe.Bool(false)}); err != nil {
			errs = append(errs, fmt.Errorf("sweep: archiving Stripe product %s: %w", p.ID, err))
			continue
		}
		products++
		fmt.Fprintf(log, "swept Stripe product %s\n", p.ID)
	}
	if err := pit.Err(); err != nil {
		errs = append(errs, fmt.Errorf("sweep: searching Stripe products: %w", err))
	}
	return customers, products, errors.Join(errs...)
}

// SweepTimeout bounds one sweep.
const SweepTimeout = 5 * time.Minute
