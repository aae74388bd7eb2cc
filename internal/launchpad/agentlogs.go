package launchpad

// The agent machine's own logs: written under the tenant's workspace volume, each file kept
// AgentLogRetentionDays and rotated away after that by the agent, and deleted with the
// volume when the tenant is destroyed. The machine's environment carries both settings to
// the agent (Fly's Machines API has no log-retention setting of its own; what Fly's log
// shipping keeps is outside the machine).
const (
	// AgentLogDirEnv names the directory the agent writes its logs to.
	AgentLogDirEnv = "AGENT_LOG_DIR"
	// AgentLogRetentionEnv names how many days the agent keeps a log file.
	AgentLogRetentionEnv = "AGENT_LOG_RETENTION_DAYS"

	// AgentLogDir is on the workspace volume, so destroying the tenant's volume deletes it.
	AgentLogDir = WorkspaceMount + "/.logs"
	// AgentLogRetentionDays is the retention the whitepaper promises.
	AgentLogRetentionDays = 7
)
