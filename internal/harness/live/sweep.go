package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
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
	return sweepEach(log, apps, func(a *launchpad.App) bool { return c.OwnsApp(a.Name) },
		func(a *launchpad.App) error { return rt.DeleteApp(ctx, a.Name) },
		func(a *launchpad.App) (string, string) { return "app " + a.Name, "Fly app " + a.Name })
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
	return sweepEach(log, keys, func(k *launchpad.KeyInfo) bool { return c.OwnsKey(k.Name) },
		func(k *launchpad.KeyInfo) error { return or.DeleteKey(ctx, k.Hash) },
		func(k *launchpad.KeyInfo) (string, string) {
			return fmt.Sprintf("OpenRouter key %s (%s)", k.Hash, k.Name), fmt.Sprintf("OpenRouter key %s (%s)", k.Name, k.Label)
		})
}

// sweepEach deletes every item owns accepts (one already gone counts as deleted), prints
// "swept …" for each and returns how many it deleted. names gives what the error of a failed
// deletion and the printed line call the item.
func sweepEach[T any](log io.Writer, items []T, owns func(T) bool, del func(T) error, names func(T) (inError, inLog string)) (int, error) {
	n := 0
	var errs []error
	for _, it := range items {
		if !owns(it) {
			continue
		}
		inError, inLog := names(it)
		if err := del(it); err != nil && !launchpad.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("sweep: deleting %s: %w", inError, err))
			continue
		}
		n++
		fmt.Fprintf(log, "swept %s\n", inLog)
	}
	return n, errors.Join(errs...)
}

// sweepStripe deletes the marked test customers (Stripe cancels their subscriptions with them)
// and archives the marked products (a product with prices cannot be deleted; an archived one
// cannot be bought). Stripe's search finds older objects; it lags writes by up to a minute,
// so the objects of the last day are also listed (lists are read-after-write consistent).
// Whatever is found, only an object whose metadata carries the mark is touched.
func sweepStripe(ctx context.Context, c Config, log io.Writer) (customers, products int, err error) {
	var backends *stripe.Backends
	if c.StripeURL != "" {
		backends = &stripe.Backends{API: stripe.GetBackendWithConfig(stripe.APIBackend, &stripe.BackendConfig{
			URL: stripe.String(c.StripeURL), LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		})}
	}
	sc := stripeclient.New(c.StripeKey, backends)
	query := fmt.Sprintf("metadata['%s']:'%s'", StripeMetadataKey, c.Prefix)
	recent := &stripe.RangeQueryParams{GreaterThanOrEqual: time.Now().Add(-recentStripe).Unix()}
	marked := func(m map[string]string) bool { return m[StripeMetadataKey] == c.Prefix }
	var errs []error

	customerIDs := map[string]bool{}
	cit := sc.Customers.Search(&stripe.CustomerSearchParams{SearchParams: stripe.SearchParams{Query: query, Context: ctx}})
	errs = append(errs, addMarked(customerIDs, cit, func() (string, map[string]string) { cu := cit.Customer(); return cu.ID, cu.Metadata }, marked, "searching Stripe customers"))
	cl := &stripe.CustomerListParams{ListParams: stripe.ListParams{Context: ctx}, CreatedRange: recent}
	clit := sc.Customers.List(cl)
	errs = append(errs, addMarked(customerIDs, clit, func() (string, map[string]string) { cu := clit.Customer(); return cu.ID, cu.Metadata }, marked, "listing recent Stripe customers"))
	for _, id := range slices.Sorted(maps.Keys(customerIDs)) {
		if _, err := sc.Customers.Del(id, &stripe.CustomerParams{Params: stripe.Params{Context: ctx}}); err != nil {
			if isStripeNotFound(err) { // deleted since it was found (by the test's own cleanup)
				continue
			}
			errs = append(errs, fmt.Errorf("sweep: deleting Stripe customer %s: %w", id, err))
			continue
		}
		customers++
		fmt.Fprintf(log, "swept Stripe customer %s\n", id)
	}

	productIDs := map[string]bool{}
	pit := sc.Products.Search(&stripe.ProductSearchParams{SearchParams: stripe.SearchParams{Query: query + " AND active:'true'", Context: ctx}})
	errs = append(errs, addMarked(productIDs, pit, func() (string, map[string]string) { p := pit.Product(); return p.ID, p.Metadata }, marked, "searching Stripe products"))
	pl := &stripe.ProductListParams{ListParams: stripe.ListParams{Context: ctx}, Active: stripe.Bool(true), CreatedRange: recent}
	plit := sc.Products.List(pl)
	errs = append(errs, addMarked(productIDs, plit, func() (string, map[string]string) { p := plit.Product(); return p.ID, p.Metadata }, marked, "listing recent Stripe products"))
	for _, id := range slices.Sorted(maps.Keys(productIDs)) {
		p, err := sc.Products.Update(id, &stripe.ProductParams{Params: stripe.Params{Context: ctx}, Active: stripe.Bool(false)})
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep: archiving Stripe product %s: %w", id, err))
			continue
		}
		products++
		fmt.Fprintf(log, "swept Stripe product %s (%s)\n", p.ID, p.Name)
	}
	return customers, products, errors.Join(errs...)
}

// addMarked adds to ids the id of every object it yields whose metadata marked accepts (the
// mark itself decides, not the search); current reads the object it is at. A failed listing is
// an error naming what was listed.
func addMarked(ids map[string]bool, it interface {
	Next() bool
	Err() error
}, current func() (id string, metadata map[string]string), marked func(map[string]string) bool, what string) error {
	for it.Next() {
		if id, metadata := current(); marked(metadata) {
			ids[id] = true
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("sweep: %s: %w", what, err)
	}
	return nil
}

// recentStripe is how far back a sweep lists Stripe objects, beside searching for them.
const recentStripe = 24 * time.Hour

// isStripeNotFound reports whether Stripe answered 404 (resource_missing).
func isStripeNotFound(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound
}

// SweepTimeout bounds one sweep.
const SweepTimeout = 5 * time.Minute
