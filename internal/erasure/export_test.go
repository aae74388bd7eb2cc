package erasure

// SetAfterStep lets a test stop a run after a step, as a crash would.
func SetAfterStep(c *Config, fn func(step string) error) { c.afterStep = fn }
