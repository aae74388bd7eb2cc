package firestore

import (
	"context"
	"maps"
	"slices"
	"time"

	"cloud.google.com/go/firestore"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
	"github.com/clawdrun/terraform-provider-launchpad/internal/store/contract"
)

// userDoc is a user's launchpad_users/{uid} document, which the host's web app reads and writes
// too (fields this store does not know are kept): openrouterKey (sealed), plan,
// subscription and usage, plus the rest of launchpad.User, in camelCase. The id is a field too,
// so that ListUsers can page by it whatever the document id.
type userDoc struct {
	ID                string          `firestore:"id"`
	Email             string          `firestore:"email"`
	Plan              string          `firestore:"plan"`
	OpenRouterKey     string          `firestore:"openrouterKey"`
	OpenRouterKeyHash string          `firestore:"openrouterKeyHash"`
	BYOKKey           string          `firestore:"byokKey"`
	Subscription      subscriptionDoc `firestore:"subscription"`
	Usage             usageDoc        `firestore:"usage"`
	Control           controlDoc      `firestore:"control"`
	MFA               mfaDoc          `firestore:"mfa"`
	CreatedAt         *time.Time      `firestore:"createdAt"`
	UpdatedAt         *time.Time      `firestore:"updatedAt"`
}

type subscriptionDoc struct {
	StripeCustomerID     string            `firestore:"stripeCustomerId"`
	StripeSubscriptionID string            `firestore:"stripeSubscriptionId"`
	Status               string            `firestore:"status"`
	PriceID              string            `firestore:"priceId"`
	Plan                 string            `firestore:"plan"`
	CurrentPeriodStart   *time.Time        `firestore:"currentPeriodStart"`
	CurrentPeriodEnd     *time.Time        `firestore:"currentPeriodEnd"`
	CancelAtPeriodEnd    bool              `firestore:"cancelAtPeriodEnd"`
	CanceledAt           *time.Time        `firestore:"canceledAt"`
	PastDueSince         *time.Time        `firestore:"pastDueSince"`
	EventCreated         *time.Time        `firestore:"eventCreated"`
	Metadata             map[string]string `firestore:"metadata"`
}

type usageDoc struct {
	CycleStart       *time.Time `firestore:"cycleStart"`
	CycleEnd         *time.Time `firestore:"cycleEnd"`
	MachineSeconds   float64    `firestore:"machineSeconds"`
	MeteredUntil     *time.Time `firestore:"meteredUntil"`
	Running          bool       `firestore:"running"`
	RunningSince     *time.Time `firestore:"runningSince"`
	CappedAt         *time.Time `firestore:"cappedAt"`
	SpendExhaustedAt *time.Time `firestore:"spendExhaustedAt"`
	SpendWarnedAt    *time.Time `firestore:"spendWarnedAt"`
	SpendReadingUSD  float64    `firestore:"spendReadingUsd"`
	SpendReadingKey  string     `firestore:"spendReadingKey"`
	Days             []dayDoc   `firestore:"days"`
}

// dayDoc is one launchpad.UsageDay.
type dayDoc struct {
	Day            *time.Time `firestore:"day"`
	MachineSeconds float64    `firestore:"machineSeconds"`
	SpendUSD       float64    `firestore:"spendUsd"`
}

func toDayDocs(days []launchpad.UsageDay) []dayDoc {
	var out []dayDoc
	for _, d := range days {
		out = append(out, dayDoc{Day: ts(d.Day), MachineSeconds: d.MachineSeconds, SpendUSD: d.SpendUSD})
	}
	return out
}

func fromDayDocs(days []dayDoc) []launchpad.UsageDay {
	var out []launchpad.UsageDay
	for _, d := range days {
		out = append(out, launchpad.UsageDay{Day: fromTS(d.Day), MachineSeconds: d.MachineSeconds, SpendUSD: d.SpendUSD})
	}
	return out
}

// controlDoc is launchpad.TenantControl; a seed document without it reads as zero (nothing
// asked of the tenant yet).
type controlDoc struct {
	KeyRotationGeneration int64      `firestore:"keyRotationGeneration"`
	RebuildGeneration     int64      `firestore:"rebuildGeneration"`
	ResetGeneration       int64      `firestore:"resetGeneration"`
	LeakResponseKeyID     string     `firestore:"leakResponseKeyId"`
	SuspendedAt           *time.Time `firestore:"suspendedAt"`
	ErasureRequestedAt    *time.Time `firestore:"erasureRequestedAt"`
	ErasureStep           string     `firestore:"erasureStep"`
}

type mfaDoc struct {
	SealedSecret  string     `firestore:"sealedSecret"`
	Confirmed     bool       `firestore:"confirmed"`
	LastStep      int64      `firestore:"lastStep"`
	RecoveryCodes []string   `firestore:"recoveryCodes"`
	EnrolledAt    *time.Time `firestore:"enrolledAt"`
	// ReenrolRequired: the factor must be enrolled again (a leaked platform secret).
	ReenrolRequired bool `firestore:"reenrolRequired"`
}

// emailDoc reserves an email for one user (launchpad_user_emails/{email}).
type emailDoc struct {
	Email  string `firestore:"email"`
	UserID string `firestore:"userId"`
}

func toUserDoc(u *launchpad.User) *userDoc {
	s, g, m := u.Subscription, u.Usage, u.MFA
	return &userDoc{
		ID: u.ID, Email: u.Email, Plan: u.Plan,
		OpenRouterKey: u.OpenRouterKey, OpenRouterKeyHash: u.OpenRouterKeyHash, BYOKKey: u.BYOKKey,
		Subscription: subscriptionDoc{
			StripeCustomerID: s.StripeCustomerID, StripeSubscriptionID: s.StripeSubscriptionID,
			Status: s.Status, PriceID: s.PriceID, Plan: s.Plan,
			CurrentPeriodStart: ts(s.CurrentPeriodStart), CurrentPeriodEnd: ts(s.CurrentPeriodEnd),
			CancelAtPeriodEnd: s.CancelAtPeriodEnd, CanceledAt: ts(s.CanceledAt),
			PastDueSince: ts(s.PastDueSince), EventCreated: ts(s.EventCreated),
			Metadata: maps.Clone(s.Metadata),
		},
		Usage: usageDoc{
			CycleStart: ts(g.CycleStart), CycleEnd: ts(g.CycleEnd), MachineSeconds: g.MachineSeconds,
			MeteredUntil: ts(g.MeteredUntil), Running: g.Running, RunningSince: ts(g.RunningSince),
			CappedAt: ts(g.CappedAt), SpendExhaustedAt: ts(g.SpendExhaustedAt),
			SpendWarnedAt: ts(g.SpendWarnedAt), SpendReadingUSD: g.SpendReadingUSD, SpendReadingKey: g.SpendReadingKey,
			Days: toDayDocs(g.Days),
		},
		Control: controlDoc{
			KeyRotationGeneration: u.Control.KeyRotationGeneration, RebuildGeneration: u.Control.RebuildGeneration,
			ResetGeneration: u.Control.ResetGeneration, LeakResponseKeyID: u.Control.LeakResponseKeyID,
			SuspendedAt: ts(u.Control.SuspendedAt), ErasureRequestedAt: ts(u.Control.ErasureRequestedAt),
			ErasureStep: u.Control.ErasureStep,
		},
		MFA: mfaDoc{
			SealedSecret: m.SealedSecret, Confirmed: m.Confirmed, LastStep: m.LastStep,
			RecoveryCodes: slices.Clone(m.RecoveryCodes), EnrolledAt: ts(m.EnrolledAt), ReenrolRequired: m.ReenrolRequired,
		},
		CreatedAt: ts(u.CreatedAt),
		UpdatedAt: ts(u.UpdatedAt),
	}
}

func (d *userDoc) user() *launchpad.User {
	s, g, m := d.Subscription, d.Usage, d.MFA
	return &launchpad.User{
		ID: d.ID, Email: d.Email, Plan: d.Plan,
		OpenRouterKey: d.OpenRouterKey, OpenRouterKeyHash: d.OpenRouterKeyHash, BYOKKey: d.BYOKKey,
		Subscription: launchpad.Subscription{
			StripeCustomerID: s.StripeCustomerID, StripeSubscriptionID: s.StripeSubscriptionID,
			Status: s.Status, PriceID: s.PriceID, Plan: s.Plan,
			CurrentPeriodStart: fromTS(s.CurrentPeriodStart), CurrentPeriodEnd: fromTS(s.CurrentPeriodEnd),
			CancelAtPeriodEnd: s.CancelAtPeriodEnd, CanceledAt: fromTS(s.CanceledAt),
			PastDueSince: fromTS(s.PastDueSince), EventCreated: fromTS(s.EventCreated),
			Metadata: s.Metadata,
		},
		Usage: launchpad.Usage{
			CycleStart: fromTS(g.CycleStart), CycleEnd: fromTS(g.CycleEnd), MachineSeconds: g.MachineSeconds,
			MeteredUntil: fromTS(g.MeteredUntil), Running: g.Running, RunningSince: fromTS(g.RunningSince),
			CappedAt: fromTS(g.CappedAt), SpendExhaustedAt: fromTS(g.SpendExhaustedAt),
			SpendWarnedAt: fromTS(g.SpendWarnedAt), SpendReadingUSD: g.SpendReadingUSD, SpendReadingKey: g.SpendReadingKey,
			Days: fromDayDocs(g.Days),
		},
		Control: launchpad.TenantControl{
			KeyRotationGeneration: d.Control.KeyRotationGeneration, RebuildGeneration: d.Control.RebuildGeneration,
			ResetGeneration: d.Control.ResetGeneration, LeakResponseKeyID: d.Control.LeakResponseKeyID,
			SuspendedAt: fromTS(d.Control.SuspendedAt), ErasureRequestedAt: fromTS(d.Control.ErasureRequestedAt),
			ErasureStep: d.Control.ErasureStep,
		},
		MFA: launchpad.MFA{
			SealedSecret: m.SealedSecret, Confirmed: m.Confirmed, LastStep: m.LastStep,
			RecoveryCodes: m.RecoveryCodes, EnrolledAt: fromTS(m.EnrolledAt), ReenrolRequired: m.ReenrolRequired,
		},
		CreatedAt: fromTS(d.CreatedAt),
		UpdatedAt: fromTS(d.UpdatedAt),
	}
}

// userFromSnap reads a user document. A seed document without an id field takes its id from
// the document name.
func userFromSnap(snap *firestore.DocumentSnapshot) (*launchpad.User, error) {
	var d userDoc
	if err := snap.DataTo(&d); err != nil {
		return nil, err
	}
	if _, err := snap.DataAt("id"); err != nil {
		d.ID = snap.Ref.ID
	}
	return d.user(), nil
}

func (s *Store) userRef(id string) *firestore.DocumentRef  { return s.doc(s.col.users, id) }
func (s *Store) emailRef(em string) *firestore.DocumentRef { return s.doc(s.col.userEmails, em) }

// emailReservation keeps each email to one user.
var emailReservation = reservation{
	ref: (*Store).emailRef,
	doc: func(email, id string) any { return &emailDoc{Email: email, UserID: id} },
	taken: func(email string) error {
		return contract.EmailTaken(launchpad.Clip(email, 200))
	},
}

// CreateUser stores a new user and reserves its email, in one commit. ECONFLICT if the id or a
// non-empty email is taken. Zero CreatedAt/UpdatedAt become the current time.
func (s *Store) CreateUser(ctx context.Context, u *launchpad.User) error {
	d := toUserDoc(u)
	now := s.clock()
	if d.CreatedAt == nil {
		d.CreatedAt = &now
	}
	if d.UpdatedAt == nil {
		d.UpdatedAt = &now
	}
	return emailReservation.create(ctx, s, "user", u.ID, u.Email, s.userRef(u.ID), d)
}

// GetUser returns the user with id, or ENOTFOUND.
func (s *Store) GetUser(ctx context.Context, id string) (*launchpad.User, error) {
	snap, err := s.get(ctx, s.userRef(id))
	if err != nil {
		return nil, storeError(err, "get user")
	}
	if !snap.Exists() {
		return nil, notFound("user", id)
	}
	return s.decodeUser(snap)
}

func (s *Store) decodeUser(snap *firestore.DocumentSnapshot) (*launchpad.User, error) {
	u, err := userFromSnap(snap)
	if err != nil {
		return nil, storeError(err, "decode user "+snap.Ref.ID)
	}
	return u, nil
}

// GetUserByEmail finds a user through the email reservation, or ENOTFOUND. The email is
// compared as given (callers normalise it).
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*launchpad.User, error) {
	if email == "" {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no user has an empty email")
	}
	snap, err := s.get(ctx, s.emailRef(email))
	if err != nil {
		return nil, storeError(err, "find user by email")
	}
	var e emailDoc
	if snap.Exists() {
		if err := snap.DataTo(&e); err != nil {
			return nil, storeError(err, "decode email reservation")
		}
		u, err := s.GetUser(ctx, e.UserID)
		if err == nil && u.Email == email {
			return u, nil
		}
		if err != nil && !launchpad.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, contract.NoUserWithEmail(launchpad.Clip(email, 200))
}

// GetUserByStripeCustomer finds the user whose subscription names customerID, or ENOTFOUND.
// Customer ids are not unique in the contract; should two users name one, the one with the
// lowest id is returned (as the SQLite store does).
func (s *Store) GetUserByStripeCustomer(ctx context.Context, customerID string) (*launchpad.User, error) {
	if customerID == "" {
		return nil, launchpad.Errorf(launchpad.ENOTFOUND, "no user has an empty Stripe customer id")
	}
	users, err := readAll(ctx, s.client.Collection(s.col.users).Where("subscription.stripeCustomerId", "==", customerID), "find user by Stripe customer", s.decodeUser)
	if err != nil {
		return nil, err
	}
	var found *launchpad.User
	for _, u := range users {
		if found == nil || u.ID < found.ID {
			found = u
		}
	}
	if found == nil {
		return nil, contract.NoUserWithCustomer(launchpad.Clip(customerID, 200))
	}
	return found, nil
}

// UpdateUser applies fn to the stored user and writes the result with a precondition on the
// version fn saw, moving the email reservation in the same commit. fn runs again when another
// writer got there first.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(*launchpad.User) error) (*launchpad.User, error) {
	var out *launchpad.User
	err := s.atomically(ctx, "update user", func(b *batch) error {
		snap, err := s.get(ctx, s.userRef(id))
		if err != nil {
			return err
		}
		if !snap.Exists() {
			return notFound("user", id)
		}
		u, err := s.decodeUser(snap)
		if err != nil {
			return err
		}
		oldEmail := u.Email
		if err := fn(u); err != nil {
			return err
		}
		if u.ID != id {
			return keyChanged("user", id, "ID", u.ID)
		}
		u.UpdatedAt = s.clock()
		if err := emailReservation.move(ctx, s, b, id, oldEmail, u.Email); err != nil {
			return err
		}
		d := toUserDoc(u)
		b.put(snap, d)
		out = d.user()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListUsers returns up to limit users (0 means 100; at most 1000) with ID > afterID, ordered by
// ID. Ids never change, so paging is stable while users are updated: every user that exists
// throughout a walk is listed exactly once.
func (s *Store) ListUsers(ctx context.Context, afterID string, limit int) ([]*launchpad.User, error) {
	q := s.client.Collection(s.col.users).Where("id", ">", afterID).OrderBy("id", firestore.Asc).Limit(contract.ListLimit(limit))
	return readAll(ctx, q, "list users", s.decodeUser)
}
