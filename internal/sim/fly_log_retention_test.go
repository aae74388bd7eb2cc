package sim

import (
	"strings"
	"testing"
)

func TestLogRetentionRefusesLogsOffTheVolume(t *testing.T) {
	mounts := []MountSnapshot{{Volume: "vol_1", Path: "/workspace"}}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		mounts  []MountSnapshot
		wantErr string
	}{
		{"unset", map[string]string{}, mounts, "no agent log retention"},
		{"not days", map[string]string{"AGENT_LOG_DIR": "/workspace/.logs", "AGENT_LOG_RETENTION_DAYS": "7d"}, mounts, "whole number of days"},
		{"zero days", map[string]string{"AGENT_LOG_DIR": "/workspace/.logs", "AGENT_LOG_RETENTION_DAYS": "0"}, mounts, "whole number of days"},
		{"root filesystem", map[string]string{"AGENT_LOG_DIR": "/var/log/agent", "AGENT_LOG_RETENTION_DAYS": "7"}, mounts, "on no mounted volume"},
		{"prefix is not a parent", map[string]string{"AGENT_LOG_DIR": "/workspace2/logs", "AGENT_LOG_RETENTION_DAYS": "7"}, mounts, "on no mounted volume"},
		{"escapes the mount", map[string]string{"AGENT_LOG_DIR": "/workspace/../var/log", "AGENT_LOG_RETENTION_DAYS": "7"}, mounts, "on no mounted volume"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MachineSnapshot{ID: "m1", Env: tc.env, Mounts: tc.mounts}.LogRetention()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("LogRetention = %v; want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
	got, err := MachineSnapshot{ID: "m1", Env: map[string]string{"AGENT_LOG_DIR": "/workspace/.logs/", "AGENT_LOG_RETENTION_DAYS": "7"}, Mounts: mounts}.LogRetention()
	if err != nil || got != (LogRetention{Dir: "/workspace/.logs", Days: 7, Volume: "vol_1"}) {
		t.Fatalf("LogRetention = %+v, %v", got, err)
	}
}
