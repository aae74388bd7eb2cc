package settings

import "testing"

func TestQuietLogEnvSwitchesLogsOffOnlyWhenNobodyReadsThem(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	got := QuietLogEnv(env(nil))
	if got["TF_LOG_SDK"] != "OFF" || got["TF_LOG_PROVIDER_LAUNCHPAD"] != "OFF" || len(got) != 2 {
		t.Errorf("with no log variable set: %v, want the SDK and provider logs off", got)
	}
	for _, name := range []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_TEMP_LOG_PATH", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_LAUNCHPAD"} {
		if got := QuietLogEnv(env(map[string]string{name: "DEBUG"})); got != nil {
			t.Errorf("with %s set the logs must stay as the operator asked, got %v", name, got)
		}
	}
}
