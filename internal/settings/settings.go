// Package settings is the one table of Launchpad's configuration: every environment variable
// the binary reads (and the release tooling's), its flag where `serve` takes one, its default,
// whether it is secret, and which commands read it. `serve` builds its flags from it, the
// provider and the CLI commands take their variables' names and defaults from it, the runner
// passes the provider's variables to tofu and redacts the secret ones by it, and the README's
// configuration table is generated from it (Markdown; a test keeps the two equal).
package settings

import (
	"slices"
	"strings"
)

// Command is something that reads settings: a subcommand of the binary, the provider (the
// binary run by Terraform), or a make target.
type Command string

// The readers of settings.
const (
	Provider     Command = "provider"
	Serve        Command = "serve"
	RotateSecret Command = "rotate-secret"
	Audit        Command = "audit"
	Exec         Command = "exec"
	Rollout      Command = "rollout"
	Backup       Command = "backup"
	Emails       Command = "emails"
	Healthcheck  Command = "healthcheck"
	FlyToken     Command = "fly-token"
	MakeRelease  Command = "make release"
	MakeImage    Command = "make image"
)

// stores are the commands that open the store, and so read its settings.
var stores = []Command{Provider, Serve, RotateSecret, Audit, Backup, Emails}

// Setting is one row of the table.
type Setting struct {
	// Env is the environment variable.
	Env string
	// Flag is serve's flag for it ("" when serve takes none); a flag wins over the variable.
	Flag string
	// Default is the value used when the variable is unset ("" for none).
	Default string
	// DefaultDoc says in words what happens when it is unset, where Default alone does not
	// ("required", "unset: the admin API is off"); the README shows it instead of Default.
	DefaultDoc string
	// Secret values are never logged, echoed in errors, shown by -h, or left in tofu's output.
	Secret bool
	// SecretDoc qualifies Secret in the README: "(may hold a password)", or for a value that is
	// secret only sometimes (Secret false), "when it holds a password".
	SecretDoc string
	// UsedBy are the commands that read it.
	UsedBy []Command
	// Usage is what it means and takes, for -h and the README.
	Usage string
}

// Get returns the setting of env. An unknown name is a programming error: it panics, so a
// typo fails every test that reaches it.
func Get(env string) Setting {
	for _, s := range table {
		if s.Env == env {
			return s
		}
	}
	panic("settings: " + env + " is not in the table")
}

// All returns the whole table, in the README's order.
func All() []Setting { return slices.Clone(table) }

// For returns the settings a command reads, in table order.
func For(c Command) []Setting {
	var out []Setting
	for _, s := range table {
		if slices.Contains(s.UsedBy, c) {
			out = append(out, s)
		}
	}
	return out
}

// Names returns the variable names of ss.
func Names(ss []Setting) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Env
	}
	return out
}

// Secrets returns the names of the secret settings among ss.
func Secrets(ss []Setting) []string {
	var out []string
	for _, s := range ss {
		if s.Secret {
			out = append(out, s.Env)
		}
	}
	return out
}

// Value returns env's value from getenv, else its default.
func Value(getenv func(string) string, env string) string {
	if v := getenv(env); v != "" {
		return v
	}
	return Get(env).Default
}

// Markdown renders the table for the README: variable, default, secret, used by, meaning.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | default | secret | used by | meaning |\n|---|---|---|---|---|\n")
	for _, s := range table {
		def := s.DefaultDoc
		if def == "" && s.Default != "" {
			def = "`" + s.Default + "`"
		}
		if def == "" {
			def = "unset"
		}
		secret := "no"
		if s.Secret || s.SecretDoc != "" {
			secret = strings.TrimSpace("**yes** " + s.SecretDoc)
		}
		used := make([]string, len(s.UsedBy))
		for i, c := range s.UsedBy {
			used[i] = string(c)
		}
		usage := s.Usage
		if s.Flag != "" {
			usage += " (flag `-" + s.Flag + "`)"
		}
		b.WriteString("| `" + s.Env + "` | " + def + " | " + secret + " | " + strings.Join(used, ", ") + " | " + usage + " |\n")
	}
	return b.String()
}

// The README's table lies between these two lines.
const (
	ReadmeStart = "<!-- settings table: generated from internal/settings by make docs; edit the table there -->\n"
	ReadmeEnd   = "<!-- end of settings table -->"
)

// WithReadmeTable returns readme with the text between ReadmeStart and ReadmeEnd replaced by
// Markdown(), and false when readme lacks the markers.
func WithReadmeTable(readme string) (string, bool) {
	start := strings.Index(readme, ReadmeStart)
	end := strings.Index(readme, ReadmeEnd)
	if start < 0 || end < start {
		return readme, false
	}
	return readme[:start+len(ReadmeStart)] + Markdown() + readme[end:], true
}
