package fly

import (
	"context"
	"fmt"

	fly "github.com/superfly/fly-go"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// SetSecret sets one app secret through Fly's app secrets API and returns Fly's digest of it
// and the secrets version that holds it (a machine sees the value once created or updated
// with that min_secrets_version). Setting a value is repeatable, so every failure is simply
// retried. The value goes only into the request body: never into an error or a log line
// (fly-go's request logger, which would print the body, is never enabled).
func (c *Client) SetSecret(ctx context.Context, app, name, value string) (*launchpad.Secret, error) {
	if err := requiredIn(app, "secret name", name); err != nil {
		return nil, err
	}
	if value == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "setting secret %s of app %s: the value is empty", name, app)
	}
	out := &launchpad.Secret{Name: name}
	err := c.call(ctx, fmt.Sprintf("setting secret %s of app %s", name, app), callOptions{secrets: []string{value}}, func(ctx context.Context) error {
		res, err := c.flaps.SetAppSecret(ctx, app, name, value)
		if err == nil {
			out.Digest, out.Version = res.Digest, res.Version
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if out.Digest == "" {
		// Older answers carry no digest; the list does.
		secrets, err := c.ListSecrets(ctx, app)
		if err != nil {
			return nil, err
		}
		for _, s := range secrets {
			if s.Name == name {
				out.Digest = s.Digest
			}
		}
	}
	return out, nil
}

// ListSecrets returns the names and digests of the app's secrets, never their values.
func (c *Client) ListSecrets(ctx context.Context, app string) ([]*launchpad.Secret, error) {
	if err := required("app name", app); err != nil {
		return nil, err
	}
	secrets, err := read(ctx, c, "listing secrets of app "+app, func(ctx context.Context) ([]fly.AppSecret, error) {
		return c.flaps.ListAppSecrets(ctx, app, nil, false)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*launchpad.Secret, 0, len(secrets))
	for _, s := range secrets {
		out = append(out, &launchpad.Secret{Name: s.Name, Digest: s.Digest})
	}
	return out, nil
}

// DeleteSecret removes one app secret. A missing secret is ENOTFOUND (done).
func (c *Client) DeleteSecret(ctx context.Context, app, name string) error {
	if err := requiredIn(app, "secret name", name); err != nil {
		return err
	}
	return c.call(ctx, fmt.Sprintf("deleting secret %s of app %s", name, app), callOptions{}, func(ctx context.Context) error {
		_, err := c.flaps.DeleteAppSecret(ctx, app, name)
		return err
	})
}
