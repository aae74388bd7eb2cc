package flytoken

import (
	"errors"
	"fmt"
	"testing"
)

func TestInspectTellsTheRolesApart(t *testing.T) {
	ft := mintFlyToken(t)
	for _, tc := range []struct {
		args []string
		want Powers
	}{
		{nil, Powers{Commands: true, SSH: true}}, // the organization's token itself
		{[]string{"--for", "serve"}, Powers{}},
		{[]string{"--for", "serve-with-exec"}, Powers{Commands: true}},
		{[]string{"--for", "plan"}, Powers{}},
		{[]string{"--for", "serve", "--expires", "720h"}, Powers{}},
	} {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			token := ft.header
			if tc.args != nil {
				token, _ = narrow(t, ft, tc.args...)
			}
			got, err := Inspect(token)
			if err != nil || got != tc.want {
				t.Errorf("Inspect = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := Inspect("7f3c9a1be2d04c5f8a6b1d2e3f405162738495a6b7c8d9e0"); !errors.Is(err, ErrNotMacaroon) {
		t.Errorf("Inspect of a personal token: %v, want ErrNotMacaroon", err)
	}
}
