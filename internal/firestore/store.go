package firestore

import (
	"context"
	"os"
	"regexp"
	"time"

	"cloud.google.com/go/firestore"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/settings"
)

// DefaultCollectionPrefix is the prefix of every collection the store uses; with it users live
// in launchpad_users, the collection the AI-agent host's web app already reads and writes.
const DefaultCollectionPrefix = "launchpad_"

// Options configure Open. The zero value is the production configuration.
type Options struct {
	// Now is the clock for the times the store sets itself (CreatedAt, UpdatedAt, a job's
	// default RunAfter…); default time.Now.
	Now func() time.Time
	// CollectionPrefix is put before every collection name; default "launchpad_". It may hold
	// letters, digits, '_' and '-', and must not start with "__".
	CollectionPrefix string
	// EmulatorHost (host:port) connects to a Firestore emulator instead of Google Cloud. When
	// empty, the client library's own FIRESTORE_EMULATOR_HOST applies. Tests set this field so
	// that nothing process-wide has to change.
	EmulatorHost string
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{0,100}$`)

// Store is launchpad.Store on Cloud Firestore (native mode). Safe for concurrent use by any
// number of goroutines and processes: every method that reads before it writes commits with
// preconditions on what it read (see atomically), so nothing depends on process memory.
type Store struct {
	client *firestore.Client
	now    func() time.Time
	col    collections
}

var _ launchpad.Store = (*Store)(nil)

// Open connects to the (default) database of projectID. It honours FIRESTORE_EMULATOR_HOST (or
// Options.EmulatorHost); otherwise credentials come from Application Default Credentials
// (GOOGLE_APPLICATION_CREDENTIALS, gcloud's login, or the metadata server). Open does not
// contact the database; call Ping for that.
func Open(ctx context.Context, projectID string, opts Options) (*Store, error) {
	if projectID == "" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "the Firestore store needs a Google Cloud project id: set LAUNCHPAD_STORE=firestore://PROJECT_ID")
	}
	if !projectPattern.MatchString(projectID) {
		return nil, launchpad.Errorf(launchpad.EINVALID, "%q is not a Google Cloud project id (6-30 lower-case letters, digits and dashes, starting with a letter)", launchpad.Clip(projectID, 80))
	}
	prefix := opts.CollectionPrefix
	if prefix == "" {
		prefix = DefaultCollectionPrefix
	}
	if !prefixPattern.MatchString(prefix) || len(prefix) >= 2 && prefix[:2] == "__" {
		return nil, launchpad.Errorf(launchpad.EINVALID, "collection prefix %q is not usable: use up to 100 letters, digits, '_' or '-', not starting with \"__\"", launchpad.Clip(prefix, 80))
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}

	var clientOpts []option.ClientOption
	if opts.EmulatorHost != "" {
		// The same connection the client library makes for FIRESTORE_EMULATOR_HOST.
		conn, err := grpc.NewClient("passthrough:///"+opts.EmulatorHost,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(emulatorOwner{}))
		if err != nil {
			return nil, launchpad.Errorf(launchpad.EINVALID, "cannot use Firestore emulator address %q: %v", opts.EmulatorHost, err)
		}
		clientOpts = append(clientOpts, option.WithGRPCConn(conn))
	}
	client, err := firestore.NewClient(ctx, projectID, clientOpts...)
	if err != nil {
		return nil, launchpad.Errorf(launchpad.EUNAVAILABLE, "cannot create a Firestore client for project %s (credentials come from Application Default Credentials; FIRESTORE_EMULATOR_HOST=%q): %v", projectID, os.Getenv(settings.FirestoreEmulatorHost), err)
	}
	return &Store{client: client, now: now, col: newCollections(prefix)}, nil
}

// projectPattern is Google Cloud's project id rule, loosened to also accept the ids tests use
// with the emulator (which may be longer).
var projectPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{3,61}[a-z0-9]$`)

// emulatorOwner authenticates to the emulator as its administrator, which is what the client
// library does when FIRESTORE_EMULATOR_HOST is set (security rules do not apply).
type emulatorOwner struct{}

func (emulatorOwner) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer owner"}, nil
}

func (emulatorOwner) RequireTransportSecurity() bool { return false }

// Ping reads one (absent) document. A batch read reports a missing document as missing, so
// any error — Firestore unreachable, credentials refused, no database in the project — is
// EUNAVAILABLE.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.get(ctx, s.client.Collection(s.col.users).Doc("~ping"))
	if err == nil {
		return nil
	}
	if coded := storeError(err, "ping Firestore"); launchpad.ErrorCode(coded) == launchpad.EUNAVAILABLE {
		return coded
	}
	return wrap(launchpad.Errorf(launchpad.EUNAVAILABLE, "Firestore cannot be used (%s): check the project id and that it has a Firestore database in native mode", status.Convert(err).Message()), err)
}

// Close releases the client's connections.
func (s *Store) Close() error {
	return s.client.Close()
}

// clock returns the store's current time as it is stored: UTC, microseconds.
func (s *Store) clock() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// collections holds the name of every collection, prefix included.
type collections struct {
	users        string // launchpad_users/{uid}, shared with the host's web app
	userEmails   string // email → user id: keeps emails unique
	plans        string
	planPrices   string // Stripe price id → plan name: keeps prices unique
	tenants      string
	subKeys      string
	stripeEvents string
	jobs         string
	jobQueues    string // one document per (kind, key): serialises enqueues that supersede
	jobKeys      string // one lock per non-empty job key: at most one running job per key
	jobLogs      string // log head per job, chunks in its sub-collection
	signInCodes  string
	usedTokens   string // spent single-use tokens (MFA tokens' jti) until their expiry
	sessions     string // keyed by token hash
	sessionIDs   string // session id → token hash: keeps session ids unique
	devices      string
	auditEvents  string // keyed by stream and seq
	auditStreams string // head of each stream: last seq and hash
	auditIDs     string // event id → stream and seq: keeps event ids unique
	auditTree    string // the log's Merkle tree: "head" (its size) and its stored hashes
	states       string // state head per workspace, chunks in its sub-collection
	platform     string // "keys": the platform key record; "fleet": the fleet's desired state
	rollouts     string
	retained     string // retained workspaces of destroyed tenants, by app name
	userKeys     string // per user: the key material their credentials are sealed under
}

func newCollections(prefix string) collections {
	return collections{
		users:        prefix + "users",
		userEmails:   prefix + "user_emails",
		plans:        prefix + "plans",
		planPrices:   prefix + "plan_stripe_prices",
		tenants:      prefix + "tenants",
		subKeys:      prefix + "subkeys",
		stripeEvents: prefix + "stripe_events",
		jobs:         prefix + "jobs",
		jobQueues:    prefix + "job_queues",
		jobKeys:      prefix + "job_keys",
		jobLogs:      prefix + "job_logs",
		signInCodes:  prefix + "signin_codes",
		usedTokens:   prefix + "used_tokens",
		sessions:     prefix + "sessions",
		sessionIDs:   prefix + "session_ids",
		devices:      prefix + "devices",
		auditEvents:  prefix + "audit_events",
		auditStreams: prefix + "audit_streams",
		auditIDs:     prefix + "audit_ids",
		auditTree:    prefix + "audit_tree",
		states:       prefix + "states",
		platform:     prefix + "platform",
		rollouts:     prefix + "rollouts",
		retained:     prefix + "retained_workspaces",
		userKeys:     prefix + "user_keys",
	}
}

// doc returns the document of collection col for a key that may come from user input.
func (s *Store) doc(col, key string) *firestore.DocumentRef {
	return s.client.Collection(col).Doc(docID(key))
}
