package fly

import "context"

// createOnce runs create so that a lost answer never leaves two of a thing: list notes what
// exists before the request (by key), and after a failure that leaves it unknown whether Fly
// applied it, the first listed item that was not there before and that mine accepts is the
// one this call made.
func createOnce[E any](ctx context.Context, c *Client, op string, list func(context.Context) ([]*E, error),
	key func(*E) string, mine func(*E) bool, create func(context.Context) (*E, error)) (*E, error) {
	before, err := list(ctx)
	if err != nil {
		return nil, err
	}
	existed := map[string]bool{}
	for _, x := range before {
		existed[key(x)] = true
	}
	var made *E
	err = c.call(ctx, op, callOptions{
		afterAmbiguous: func(ctx context.Context) (bool, error) {
			now, err := list(ctx)
			if err != nil {
				return false, err
			}
			for _, x := range now {
				if !existed[key(x)] && mine(x) {
					made = x
					return true, nil
				}
			}
			return false, nil
		},
	}, func(ctx context.Context) error {
		x, err := create(ctx)
		if err == nil {
			made = x
		}
		return err
	})
	return made, err
}

// addrs points at each element of xs, for lists the API returns by value.
func addrs[E any](xs []E) []*E {
	out := make([]*E, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}
