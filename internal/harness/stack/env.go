package stack

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"sort"
)

// BaseEnv is what every child gets from this program's own environment: nothing else leaks
// in (no credentials of the person running it, no TF_CLI_CONFIG_FILE).
func BaseEnv() map[string]string {
	env := map[string]string{}
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return env
}

// EnvList turns a map into KEY=value lines, sorted so that runs are alike.
func EnvList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// RandomHex is n random bytes from crypto/rand, hex-encoded: the secrets generated for a run.
func RandomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}
