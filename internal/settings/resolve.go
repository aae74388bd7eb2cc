package settings

import (
	"fmt"
	"strconv"
)

// Resolve returns a setting's value: set, where the caller's configuration sets it (not nil),
// else the variable env's value from getenv, else dflt.
func Resolve(set *string, getenv func(string) string, env, dflt string) string {
	switch {
	case set != nil:
		return *set
	case getenv(env) != "":
		return getenv(env)
	default:
		return dflt
	}
}

// ResolveBool is Resolve for a boolean setting: the variable takes true or false (or 1 or 0,
// as strconv.ParseBool reads them); anything else is an error naming it.
func ResolveBool(set *bool, getenv func(string) string, env string, dflt bool) (bool, error) {
	switch raw := getenv(env); {
	case set != nil:
		return *set, nil
	case raw != "":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return false, fmt.Errorf("The environment variable %s is %q; set it to true or false (or leave it unset for %t).", env, raw, dflt)
		}
		return b, nil
	default:
		return dflt, nil
	}
}
