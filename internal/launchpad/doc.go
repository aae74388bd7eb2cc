// Package launchpad is the domain of Launchpad: the types every other package talks about
// (User, Plan, Tenant, SubKey, Subscription, AuditEvent, Job, …), the rules that belong to
// them (tenant app naming, key resolution, the audit hash chain), coded errors, and the
// interfaces the rest of the repository implements: Store (internal/sqlite,
// internal/firestore), Runtime (internal/fly), KeyIssuer (internal/openrouter) and Mailer.
//
// It imports nothing of this repository, so every implementation depends on it and it on
// none of them.
package launchpad
