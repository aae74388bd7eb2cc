package settings

import "testing"

func TestResolveTakesTheConfigurationThenTheVariableThenTheDefault(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	set, empty := "from-config", ""
	cases := []struct {
		set  *string
		env  map[string]string
		want string
	}{
		{&set, map[string]string{FlyOrg: "from-env"}, "from-config"},
		{&empty, map[string]string{FlyOrg: "from-env"}, ""},
		{nil, map[string]string{FlyOrg: "from-env"}, "from-env"},
		{nil, nil, "dflt"},
	}
	for _, c := range cases {
		if got := Resolve(c.set, env(c.env), FlyOrg, "dflt"); got != c.want {
			t.Errorf("Resolve(%v, %v) = %q, want %q", c.set, c.env, got, c.want)
		}
	}
	off := false
	for _, c := range []struct {
		set     *bool
		raw     string
		want    bool
		wantErr bool
	}{{&off, "true", false, false}, {nil, "0", false, false}, {nil, "true", true, false}, {nil, "", true, false}, {nil, "yes", false, true}} {
		got, err := ResolveBool(c.set, env(map[string]string{OpenRouterBatchReads: c.raw}), OpenRouterBatchReads, true)
		if got != c.want || (err != nil) != c.wantErr {
			t.Errorf("ResolveBool(%v, %q) = %v, %v; want %v (error: %v)", c.set, c.raw, got, err, c.want, c.wantErr)
		}
	}
}
