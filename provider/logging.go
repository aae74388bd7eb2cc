package provider

import (
	"context"
	"log/slog"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// The provider's logs go two ways: the clients' slog records are forwarded to Terraform's
// provider log (tflogHandler), and when nobody reads that log it is switched off altogether
// (QuietLogEnv).

// tflogHandler forwards the clients' slog records to Terraform's provider log (TF_LOG), so
// their retries and timings show up where operators look. The clients never log secrets.
type tflogHandler struct {
	attrs []slog.Attr
}

func (h tflogHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h tflogHandler) Handle(ctx context.Context, r slog.Record) error {
	fields := make(map[string]any, r.NumAttrs()+len(h.attrs))
	for _, a := range h.attrs {
		fields[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		fields[a.Key] = a.Value.String()
		return true
	})
	switch {
	case r.Level >= slog.LevelError:
		tflog.Error(ctx, r.Message, fields)
	case r.Level >= slog.LevelWarn:
		tflog.Warn(ctx, r.Message, fields)
	case r.Level >= slog.LevelInfo:
		tflog.Info(ctx, r.Message, fields)
	default:
		tflog.Debug(ctx, r.Message, fields)
	}
	return nil
}

func (h tflogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return tflogHandler{attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

// WithGroup flattens groups: provider logs are flat key/value fields.
func (h tflogHandler) WithGroup(string) slog.Handler { return h }

// hostLogSwitches are the environment variables that make OpenTofu or Terraform show or keep
// a provider's log (the host passes its environment to the provider process), and the ones
// with which an operator sets the provider's own log levels.
var hostLogSwitches = []string{
	"TF_LOG", "TF_LOG_PROVIDER", "TF_TEMP_LOG_PATH", // the host keeps provider logs
	"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_LAUNCHPAD", // the operator chose levels
}

// QuietLogEnv returns the environment variables main sets, before serving the provider, so
// that the provider does not write log lines that nobody will read.
//
// terraform-plugin-go logs at TRACE, as JSON on stderr, unless TF_LOG_SDK or
// TF_LOG_PROVIDER_<NAME> say otherwise, and OpenTofu and Terraform read every one of those
// lines and throw it away unless TF_LOG or TF_LOG_PROVIDER (or TF_TEMP_LOG_PATH) is set. For a
// plan that is several dozen framework trace lines per resource: on a 1,000-tenant fleet,
// about a third of the provider's CPU time. So when none of those variables is set, the
// provider's logs are switched off; when any is set, nothing changes. Panics are written to
// stderr directly, not through the logger, so the host still reports them.
//
// It takes the lookup as a function and returns a map so that library code sets nothing:
//
//	for k, v := range provider.QuietLogEnv(os.Getenv) {
//		os.Setenv(k, v)
//	}
func QuietLogEnv(getenv func(string) string) map[string]string {
	for _, name := range hostLogSwitches {
		if getenv(name) != "" {
			return nil
		}
	}
	return map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER_LAUNCHPAD": "OFF"}
}
