package settings

// The variables' names, for the code that reads them.
const (
	Store                  = "LAUNCHPAD_STORE"
	PlatformSecret         = "PLATFORM_SECRET"
	PlatformSecretPrevious = "PLATFORM_SECRET_PREVIOUS"
	FlyAPIToken            = "FLY_API_TOKEN"
	FlyOrg                 = "FLY_ORG"
	FlyFlapsBaseURL        = "FLY_FLAPS_BASE_URL"
	OpenRouterManagement   = "OPENROUTER_MANAGEMENT_KEY"
	OpenRouterAPIURL       = "OPENROUTER_API_URL"
	OpenRouterPooledKey    = "OPENROUTER_POOLED_KEY"
	OpenRouterBatchReads   = "OPENROUTER_BATCH_READS"
	Addr                   = "LAUNCHPAD_ADDR"
	PublicURL              = "LAUNCHPAD_PUBLIC_URL"
	SMTPURL                = "LAUNCHPAD_SMTP_URL"
	MailFrom               = "LAUNCHPAD_MAIL_FROM"
	AdminToken             = "LAUNCHPAD_ADMIN_TOKEN"
	MetricsToken           = "LAUNCHPAD_METRICS_TOKEN"
	URL                    = "LAUNCHPAD_URL"
	OperatorName           = "USER"
	TrustedProxies         = "LAUNCHPAD_TRUSTED_PROXIES"
	LogFormat              = "LAUNCHPAD_LOG_FORMAT"
	StepUpWindow           = "LAUNCHPAD_STEP_UP_WINDOW"
	StripeWebhookSecret    = "STRIPE_WEBHOOK_SECRET"
	StripeAPIKey           = "STRIPE_API_KEY"
	StripeAPIBase          = "STRIPE_API_BASE"
	PastDueGrace           = "LAUNCHPAD_PAST_DUE_GRACE"
	VolumeRetention        = "LAUNCHPAD_VOLUME_RETENTION"
	Workers                = "LAUNCHPAD_WORKERS"
	JobLease               = "LAUNCHPAD_JOB_LEASE"
	JobShutdownGrace       = "LAUNCHPAD_JOB_SHUTDOWN_GRACE"
	ApplyCancelGrace       = "LAUNCHPAD_APPLY_CANCEL_GRACE"
	Tofu                   = "LAUNCHPAD_TOFU"
	DataDir                = "LAUNCHPAD_DATA_DIR"
	Product                = "LAUNCHPAD_PRODUCT"
	Region                 = "LAUNCHPAD_REGION"
	Image                  = "LAUNCHPAD_IMAGE"
	AutoRollout            = "LAUNCHPAD_AUTO_ROLLOUT"
	MeterInterval          = "LAUNCHPAD_METER_INTERVAL"
	PurgeInterval          = "LAUNCHPAD_PURGE_INTERVAL"

	// Retention of stored data (controlplane/purge).
	RetentionStripePayloads = "LAUNCHPAD_RETENTION_STRIPE_PAYLOADS"
	RetentionJobLogs        = "LAUNCHPAD_RETENTION_JOB_LOGS"
	RetentionSessions       = "LAUNCHPAD_RETENTION_SESSIONS"
	RetentionDevices        = "LAUNCHPAD_RETENTION_DEVICES"
	RetentionSignInCodes    = "LAUNCHPAD_RETENTION_SIGNIN_CODES"
	RetentionSnapshots      = "LAUNCHPAD_RETENTION_SNAPSHOTS"
	RetentionAudit          = "LAUNCHPAD_RETENTION_AUDIT"
	AuditArchiveDir         = "LAUNCHPAD_AUDIT_ARCHIVE_DIR"
	RotateOnPlanChange      = "LAUNCHPAD_ROTATE_ON_PLAN_CHANGE"
	BillingPortalURL        = "LAUNCHPAD_BILLING_PORTAL_URL"
	BillingCheckoutURL      = "LAUNCHPAD_BILLING_CHECKOUT_URL"
	FirestoreEmulatorHost   = "FIRESTORE_EMULATOR_HOST"
	GoogleCredentials       = "GOOGLE_APPLICATION_CREDENTIALS"
	GoogleCloudProject      = "GOOGLE_CLOUD_PROJECT"
	GPGFingerprint          = "GPG_FINGERPRINT"
	ReleaseSigningKey       = "RELEASE_SIGNING_KEY"
	ReleaseSigningPass      = "RELEASE_SIGNING_PASSPHRASE"
	SourceDateEpoch         = "SOURCE_DATE_EPOCH"

	// The verifiable audit log (internal/auditlog).
	AuditSigningSecret   = "LAUNCHPAD_AUDIT_SIGNING_SECRET"
	AuditOrigin          = "LAUNCHPAD_AUDIT_ORIGIN"
	AuditWitness         = "LAUNCHPAD_AUDIT_WITNESS"
	AuditWitnessInterval = "LAUNCHPAD_AUDIT_WITNESS_INTERVAL"
)

// PostgresEnv are libpq's variables, which complete a PostgreSQL LAUNCHPAD_STORE (as pgx reads
// them); PostgresSecretEnv are the secret ones among them. Every process that opens the store
// reads them, and the runner passes them on to tofu.
var (
	PostgresEnv = []string{
		"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGPASSFILE", "PGAPPNAME",
		"PGCONNECT_TIMEOUT", "PGSSLMODE", "PGSSLKEY", "PGSSLCERT", "PGSSLCERTMODE", "PGSSLSNI",
		"PGSSLROOTCERT", "PGSSLPASSWORD", "PGSSLNEGOTIATION", "PGTARGETSESSIONATTRS", "PGSERVICE",
		"PGSERVICEFILE", "PGTZ", "PGOPTIONS", "PGCHANNELBINDING", "PGREQUIREAUTH",
	}
	PostgresSecretEnv = []string{"PGPASSWORD", "PGSSLPASSWORD"}
)

var table = []Setting{
	{Env: Store, Flag: "store", Default: "./launchpad.db", SecretDoc: "when it holds a password", UsedBy: stores,
		Usage: "`sqlite:///abs/path.db`, `sqlite://./rel.db`, `firestore://PROJECT_ID` (honours `FIRESTORE_EMULATOR_HOST`, else Application Default Credentials), " +
			"or a PostgreSQL connection string in any form libpq accepts: `postgres://USER@HOST:5432/DB?sslmode=verify-full`, or keywords such as " +
			"`host=HOST dbname=DB user=USER sslmode=verify-full`; the `PG*` variables, the password file and the service file fill in the rest. " +
			"Logs and errors show it with the password redacted. The provider and the control plane must share it."},
	{Env: PlatformSecret, Flag: "platform-secret", DefaultDoc: "required", Secret: true, UsedBy: []Command{Provider, Serve, RotateSecret},
		Usage: "at least 32 random bytes (`openssl rand -base64 48`); derives the key that seals stored credentials, the session-signing key and the sign-in-code HMAC key"},
	{Env: PlatformSecretPrevious, Flag: "platform-secret-previous", Secret: true, UsedBy: []Command{Provider, Serve, RotateSecret},
		Usage: "the old secret during a rotation, so old sealed values, sessions and codes keep working"},
	{Env: FlyAPIToken, DefaultDoc: "required for tenants", Secret: true, UsedBy: []Command{Provider, Serve, RotateSecret, FlyToken},
		Usage: "Fly API token (serve uses it for metering, operator exec and teardown checks, and passes it to tofu; `rotate-secret --rotate-keys` to re-key tenants); `fly-token` prints it narrowed for one role, so a serve host need not hold the organization's token"},
	{Env: FlyOrg, DefaultDoc: "required for tenants", UsedBy: []Command{Provider, Serve, RotateSecret},
		Usage: "Fly organization slug of the tenant apps"},
	{Env: FlyFlapsBaseURL, Default: "https://api.machines.dev", UsedBy: []Command{Provider, Serve, RotateSecret},
		Usage: "Machines API base URL (the sandbox prints its own)"},
	{Env: OpenRouterManagement, DefaultDoc: "required for sub-keys", Secret: true, UsedBy: []Command{Provider, Serve, RotateSecret},
		Usage: "OpenRouter management key that mints tenants' keys (`rotate-secret --rotate-keys` rotates them all with it)"},
	{Env: OpenRouterAPIURL, Default: "https://openrouter.ai/api/v1", UsedBy: []Command{Provider, Serve, RotateSecret},
		Usage: "OpenRouter API base URL (the sandbox prints its own)"},
	{Env: OpenRouterPooledKey, Secret: true, UsedBy: []Command{Provider, Serve},
		Usage: "pooled platform key, for trial tenants only (or plans with `allow_pooled_key`)"},
	{Env: OpenRouterBatchReads, Default: "true", UsedBy: []Command{Provider},
		Usage: "`false` makes the provider read each sub-key on its own instead of sharing one listing per plan"},
	{Env: Addr, Flag: "addr", Default: "127.0.0.1:8080", UsedBy: []Command{Serve, Healthcheck},
		Usage: "listen address host:port"},
	{Env: PublicURL, Flag: "public-url", DefaultDoc: "`http://ADDR`", UsedBy: []Command{Serve, Audit, RotateSecret},
		Usage: "URL users reach; `https` makes cookies `Secure`"},
	{Env: SMTPURL, Flag: "smtp-url", DefaultDoc: "required", Secret: true, SecretDoc: "(may hold a password)", UsedBy: []Command{Serve, RotateSecret},
		Usage: "`smtp://host:port` or `smtps://user:pass@host:port`; `log:` writes mail, sign-in codes included, to serve's log instead (the sandbox and demos only)"},
	{Env: MailFrom, Flag: "mail-from", DefaultDoc: "required with SMTP", UsedBy: []Command{Serve, RotateSecret},
		Usage: "sender, e.g. `Launchpad <launchpad@example.com>`"},
	{Env: AdminToken, Flag: "admin-token", DefaultDoc: "unset: admin API off", Secret: true, UsedBy: []Command{Serve, Exec, Rollout},
		Usage: "bearer token of `/api/admin/*`, at least 32 characters"},
	{Env: MetricsToken, Flag: "metrics-token", DefaultDoc: "unset: `/metrics` open", Secret: true, UsedBy: []Command{Serve},
		Usage: "bearer token `/metrics` then requires (`Authorization: Bearer …`), at least 32 characters; unset, `/metrics` answers anyone who reaches it"},
	{Env: OperatorName, DefaultDoc: "the login name", UsedBy: []Command{Exec, RotateSecret, Rollout},
		Usage: "the operator the audit log names for `exec`, `rotate-secret` and `rollout` (`-operator` overrides it)"},
	{Env: URL, UsedBy: []Command{Exec, Rollout},
		Usage: "the control plane `exec` and `rollout` talk to, e.g. `https://launchpad.example.com`"},
	{Env: TrustedProxies, Flag: "trusted-proxies", UsedBy: []Command{Serve},
		Usage: "comma-separated IPs/CIDRs of reverse proxies whose `X-Forwarded-For` is believed"},
	{Env: LogFormat, Flag: "log-format", Default: "json", UsedBy: []Command{Serve},
		Usage: "`json` or `text`"},
	{Env: StepUpWindow, Flag: "step-up-window", Default: "5m0s", UsedBy: []Command{Serve},
		Usage: "how recent a sign-in (or step-up: the emailed code again, and the authenticator code when on) must be for two-factor changes, signing other sessions out and other security-sensitive actions, 30s to 1h"},
	{Env: StripeWebhookSecret, Flag: "stripe-webhook-secret", DefaultDoc: "unset: the webhook answers 503", Secret: true, UsedBy: []Command{Serve},
		Usage: "endpoint signing secret(s) (`whsec_…`), comma-separated while one is rolled"},
	{Env: StripeAPIKey, Flag: "stripe-api-key", DefaultDoc: "unset: act on the verified payload", Secret: true, UsedBy: []Command{Serve},
		Usage: "Stripe secret key; when set, each subscription is re-fetched from Stripe's API instead of trusting the event's copy"},
	{Env: StripeAPIBase, Flag: "stripe-api-base", Default: "https://api.stripe.com", UsedBy: []Command{Serve},
		Usage: "Stripe API base URL (stripe-mock in tests)"},
	{Env: PastDueGrace, Flag: "past-due-grace", Default: "72h", UsedBy: []Command{Serve},
		Usage: "how long a past-due subscription keeps its tenant running, e.g. `72h` or `3d`"},
	{Env: VolumeRetention, Flag: "volume-retention", Default: "7d", UsedBy: []Command{Serve},
		Usage: "how long a lapsed tenant and its volume are kept before the destroy, e.g. `7d`"},
	{Env: Workers, Flag: "workers", Default: "2", UsedBy: []Command{Serve},
		Usage: "apply workers in this replica, 1-64"},
	{Env: JobLease, Flag: "job-lease", Default: "2m0s", UsedBy: []Command{Serve},
		Usage: "how long a job stays with a worker without a heartbeat, so how soon a dead replica's job is reclaimed"},
	{Env: JobShutdownGrace, Flag: "job-shutdown-grace", Default: "30s", UsedBy: []Command{Serve},
		Usage: "on shutdown, how long running applies may finish before tofu is interrupted"},
	{Env: ApplyCancelGrace, Flag: "apply-cancel-grace", Default: "30s", UsedBy: []Command{Serve},
		Usage: "how long an interrupted tofu has to stop before it is killed"},
	{Env: Tofu, Flag: "tofu", DefaultDoc: "`tofu`, else `terraform` on PATH", UsedBy: []Command{Serve},
		Usage: "the tofu (or terraform) executable the runner drives"},
	{Env: DataDir, Flag: "data-dir", Default: "./launchpad-data", UsedBy: []Command{Serve},
		Usage: "directory of the tenants' work directories"},
	{Env: Product, Flag: "product", Default: "hermes", UsedBy: []Command{Serve},
		Usage: "agent product of new tenants unless the checkout says otherwise"},
	{Env: Region, Flag: "region", Default: "iad", UsedBy: []Command{Serve},
		Usage: "Fly region of new tenants unless the checkout says otherwise"},
	{Env: Image, Flag: "image", Default: "registry.fly.io/hermes-agent:1.4.2", UsedBy: []Command{Serve},
		Usage: "agent image of tenants unless the checkout says otherwise; it seeds the fleet's stored image, which a completed rollout replaces (once stored, a different value is only reported)"},
	{Env: AutoRollout, Default: "propose", UsedBy: []Command{Serve},
		Usage: "what a plan edit made in the operator's `tofu apply` rolls out: `propose` records a rollout of the plan an operator starts (`rollout resume ID`), `start` starts it at once, `off` drops it"},
	{Env: MeterInterval, Flag: "meter-interval", Default: "1m0s", UsedBy: []Command{Serve},
		Usage: "how often machine hours, spend caps and unpaid subscriptions are checked, 10s to 1h, or `off` in this replica (needs `FLY_API_TOKEN`)"},
	{Env: PurgeInterval, Flag: "purge-interval", Default: "1h", UsedBy: []Command{Serve},
		Usage: "how often serve erases what is past its retention (the retention settings below), 1s to 24h; one replica sweeps in each interval"},
	{Env: RetentionStripePayloads, Flag: "retention-stripe-payloads", Default: "30d", UsedBy: []Command{Serve},
		Usage: "how long a Stripe event's payload (the customer's name, email and address) is kept after it is received, e.g. `30d` or `72h`, or `forever`; the event id is kept, so a redelivery is still recognised"},
	{Env: RetentionJobLogs, Flag: "retention-job-logs", Default: "90d", UsedBy: []Command{Serve},
		Usage: "how long the log of a finished apply is kept, e.g. `90d`, or `forever`; the job's record and outcome stay"},
	{Env: RetentionSessions, Flag: "retention-sessions", Default: "30d", UsedBy: []Command{Serve},
		Usage: "how long a session is kept after it expired or was signed out, e.g. `30d`, or `forever`"},
	{Env: RetentionDevices, Flag: "retention-devices", Default: "365d", UsedBy: []Command{Serve},
		Usage: "how long a device not signed in from is remembered, e.g. `365d`, or `forever`; a sign-in from it afterwards sends the new-device email again"},
	{Env: RetentionSignInCodes, Flag: "retention-signin-codes", Default: "1d", UsedBy: []Command{Serve},
		Usage: "how long an expired sign-in code (its HMAC, with the email it was sent to) is kept, e.g. `1d`, or `forever`"},
	{Env: RetentionSnapshots, Flag: "retention-snapshots", Default: "0", UsedBy: []Command{Serve},
		Usage: "how long a destroyed tenant's `/workspace` is kept as a Fly volume snapshot (in its otherwise empty app), in whole days `1d` to `60d` (Fly's bounds); `0` keeps none. Every tenant the control plane destroys, an account deletion's included, keeps a snapshot this long, and the purge loop deletes every retained workspace app of a destroyed tenant older than this (a provider's `workspace_retention_days` in the same store included), so a value lowered later holds for what is already kept"},
	{Env: RetentionAudit, Flag: "retention-audit", Default: "keep", UsedBy: []Command{Serve},
		Usage: "how long audit events are kept in full: `keep` keeps them, or whole days, at least `30d`. Older events are written to an archive file in `LAUNCHPAD_AUDIT_ARCHIVE_DIR`, each with its inclusion proof against a signed checkpoint, and then their actor, target and details are emptied in the store; their hashes stay, so `audit --verify` and the signed checkpoints still hold. Needs `LAUNCHPAD_AUDIT_SIGNING_SECRET`"},
	{Env: AuditArchiveDir, Flag: "audit-archive-dir", DefaultDoc: "unset: required when `LAUNCHPAD_RETENTION_AUDIT` is set", UsedBy: []Command{Serve},
		Usage: "the directory the audit retention writes its archive files to (JSON, one per batch of trimmed events; keep it backed up: it is the only full copy of those events)"},
	{Env: RotateOnPlanChange, Flag: "rotate-on-plan-change", Default: "false", UsedBy: []Command{Serve},
		Usage: "`true`: every change from one paid plan to another also rotates the tenant's sub-key (otherwise the limit moves in place)"},
	{Env: BillingPortalURL, Flag: "billing-portal-url", UsedBy: []Command{Serve},
		Usage: "Stripe customer portal login link the dashboard's billing page offers; empty hides it"},
	{Env: BillingCheckoutURL, Flag: "billing-checkout-url", UsedBy: []Command{Serve},
		Usage: "Stripe payment link the dashboard offers users without a subscription (`client_reference_id` is added); empty hides it"},
	{Env: AuditSigningSecret, DefaultDoc: "unset: `/api/audit/checkpoint` and inclusion proofs answer 503", Secret: true, UsedBy: []Command{Serve, Audit},
		Usage: "at least 32 random bytes (`openssl rand -base64 48`), kept apart from `PLATFORM_SECRET` and from the store's hosts; derives the Ed25519 key that signs the audit log's checkpoints, so whoever can write the store but lacks it cannot forge one. `audit verifier-key` prints the key that checks them"},
	{Env: AuditOrigin, DefaultDoc: "the host of `LAUNCHPAD_PUBLIC_URL` + `/audit`, else `launchpad/audit`", UsedBy: []Command{Serve, Audit},
		Usage: "the origin line of the audit checkpoints and the name of their key, e.g. `launchpad.example.com/audit`"},
	{Env: AuditWitness, DefaultDoc: "unset: checkpoints are only served", Secret: true, SecretDoc: "(may hold a token)", UsedBy: []Command{Serve},
		Usage: "where serve also pushes each new signed checkpoint: `https://…` (POSTed as text/plain) or `file:///abs/path` (appended); an anchor outside your infrastructure"},
	{Env: AuditWitnessInterval, Default: "5m0s", UsedBy: []Command{Serve},
		Usage: "how often serve pushes the checkpoint to `LAUNCHPAD_AUDIT_WITNESS` when the log has grown, 10s to 24h"},
	{Env: FirestoreEmulatorHost, UsedBy: stores,
		Usage: "use a Firestore emulator (host:port) for `firestore://` stores"},
	{Env: GoogleCredentials, UsedBy: stores,
		Usage: "the service-account key file of a `firestore://` store, when Application Default Credentials come from a file"},
	{Env: GoogleCloudProject, UsedBy: stores,
		Usage: "the Google Cloud project Application Default Credentials bill to"},
	{Env: GPGFingerprint, UsedBy: []Command{MakeRelease},
		Usage: "sign `SHA256SUMS` with this key of the gpg keyring"},
	{Env: ReleaseSigningKey, Secret: true, UsedBy: []Command{MakeRelease},
		Usage: "else sign with this armored secret key file; with neither, a throwaway key"},
	{Env: ReleaseSigningPass, Secret: true, UsedBy: []Command{MakeRelease},
		Usage: "the passphrase of `RELEASE_SIGNING_KEY`"},
	{Env: SourceDateEpoch, DefaultDoc: "the commit's time", UsedBy: []Command{MakeRelease, MakeImage},
		Usage: "the date of the zip entries and of the image's files, so a commit builds the same bytes"},
}
