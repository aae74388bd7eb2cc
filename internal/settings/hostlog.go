package settings

// hostLogSwitches are the environment variables that make OpenTofu or Terraform show or keep
// a provider's log (the host passes its environment to the provider process), and the ones
// with which an operator sets the provider's own log levels.
var hostLogSwitches = []string{
	"TF_LOG", "TF_LOG_PROVIDER", "TF_TEMP_LOG_PATH", // the host keeps provider logs
	"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_LAUNCHPAD", // the operator chose levels
}

// QuietLogEnv returns the environment variables main sets, before serving the provider, so
// that the provider does not write log lines that nobody will read (the provider forwards its
// clients' logs to Terraform's provider log).
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
//	for k, v := range settings.QuietLogEnv(os.Getenv) {
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
