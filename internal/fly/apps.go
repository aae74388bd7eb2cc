package fly

import (
	"context"
	"fmt"

	"github.com/superfly/fly-go/flaps"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// CreateApp creates an app on its own private network: s.Network, or the app name when empty
// (the tenant rule: no .internal route reaches another tenant). After an ambiguous failure it
// looks the app up by name (names are global on Fly) before sending the create again; an app
// found in the asked organization is the one this call created.
func (c *Client) CreateApp(ctx context.Context, s launchpad.AppSpec) (*launchpad.App, error) {
	if err := required("app name", s.Name); err != nil {
		return nil, err
	}
	org, err := c.orgOrDefault(s.Org)
	if err != nil {
		return nil, err
	}
	network := s.Network
	if network == "" {
		network = s.Name
	}
	op := fmt.Sprintf("creating app %s in organization %s", s.Name, org)
	var created *flaps.App
	err = c.call(ctx, op, callOptions{
		afterAmbiguous: func(ctx context.Context) (bool, error) {
			app, err := c.getApp(ctx, s.Name)
			if launchpad.IsNotFound(err) {
				return false, nil
			}
			if err != nil {
				return false, err // ECONFLICT when another organization holds the name
			}
			if app.Organization.Slug != "" && app.Organization.Slug != org {
				return false, nil // someone else's: the retry will report the name as taken
			}
			created = app
			return true, nil
		},
	}, func(ctx context.Context) error {
		app, err := c.flaps.CreateApp(ctx, flaps.CreateAppRequest{Name: s.Name, Org: org, Network: network})
		if err == nil {
			created = app
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := toApp(created)
	if out.Name == "" {
		out.Name = s.Name
	}
	if out.Org == "" {
		out.Org = org
	}
	if out.Network == "" {
		out.Network = network
	}
	return out, nil
}

// GetApp returns the app called name: ENOTFOUND when there is none, ECONFLICT when it exists
// in an organization the token cannot access (Fly answers 403 "unauthorized": app names are
// global, so the name is taken).
func (c *Client) GetApp(ctx context.Context, name string) (*launchpad.App, error) {
	if err := required("app name", name); err != nil {
		return nil, err
	}
	app, err := c.getApp(ctx, name)
	if err != nil {
		return nil, err
	}
	return toApp(app), nil
}

func (c *Client) getApp(ctx context.Context, name string) (*flaps.App, error) {
	var app *flaps.App
	err := c.call(ctx, "reading app "+name, callOptions{forbiddenIsTaken: true}, func(ctx context.Context) error {
		var err error
		app, err = c.flaps.GetApp(ctx, name)
		return err
	})
	if err == nil && app == nil {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "reading app %s: Fly answered without an app", name)
	}
	return app, err
}

// ListApps returns the apps of org (or of the configured organization when org is empty).
func (c *Client) ListApps(ctx context.Context, org string) ([]*launchpad.App, error) {
	org, err := c.orgOrDefault(org)
	if err != nil {
		return nil, err
	}
	var apps []flaps.App
	err = c.get(ctx, "listing apps of organization "+org, func(ctx context.Context) error {
		var err error
		apps, err = c.flaps.ListApps(ctx, flaps.ListAppsRequest{OrgSlug: org})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.App, 0, len(apps))
	for i := range apps {
		a := toApp(&apps[i])
		if a.Org == "" {
			a.Org = org
		}
		out = append(out, a)
	}
	return out, nil
}

// DeleteApp deletes the app and everything in it. A missing app is ENOTFOUND (done).
func (c *Client) DeleteApp(ctx context.Context, name string) error {
	if err := required("app name", name); err != nil {
		return err
	}
	return c.call(ctx, "deleting app "+name, callOptions{}, func(ctx context.Context) error {
		return c.flaps.DeleteApp(ctx, name)
	})
}

func toApp(a *flaps.App) *launchpad.App {
	return &launchpad.App{Name: a.Name, Org: a.Organization.Slug, Network: a.Network, Status: a.Status}
}
