package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

// SQLSTATE codes the store acts on (PostgreSQL's Appendix A).
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeReadOnlyTransaction  = "25006"
	codeInsufficientPriv     = "42501"
	codeInvalidPassword      = "28P01"
	codeInvalidAuthorization = "28000"
	codeInvalidCatalogName   = "3D000"
	codeQueryCanceled        = "57014"
	codeRaiseException       = "P0001"
)

// formatError turns driver errors into coded launchpad errors. Coded errors and errors of
// callers' functions pass through unchanged; anything else stays uncoded (EINTERNAL to
// callers, with details for the logs), scrubbed of the password.
func (db *DB) formatError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var coded *launchpad.Error
	if errors.As(err, &coded) {
		return err
	}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		return db.conn.serverError(pe, err)
	case errors.Is(err, context.DeadlineExceeded) || (ctx.Err() == nil && isUnreachable(err)):
		return db.conn.connectError(err)
	case errors.Is(err, pgx.ErrTxClosed), errors.Is(err, context.Canceled):
		return fmt.Errorf("postgres: %w", err)
	}
	return &scrubbed{msg: "postgres: " + db.conn.scrub(err.Error()), cause: err}
}

// serverError maps an error the server reported, by its SQLSTATE.
func (cc *connConfig) serverError(pe *pgconn.PgError, err error) error {
	msg := launchpad.Clip(cc.scrub(pe.Message), 200)
	switch class := pe.Code[:2]; {
	case pe.Code == codeUniqueViolation:
		return launchpad.Errorf(launchpad.ECONFLICT, "%s is already taken", uniqueWhat(pe))
	case pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected:
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "PostgreSQL aborted the transaction %d times in a row to resolve a conflict with other writers (%s); retry", maxTxAttempts, msg)
	case pe.Code == codeReadOnlyTransaction:
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "the PostgreSQL server %s is read-only (a standby, or in recovery); point LAUNCHPAD_STORE at the primary, e.g. with target_session_attrs=read-write", cc.redacted)
	case pe.Code == codeQueryCanceled:
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "PostgreSQL cancelled a statement (statement_timeout or an operator); retry")
	case pe.Code == codeInsufficientPriv:
		return launchpad.Errorf(launchpad.EINVALID, "the PostgreSQL role of %s lacks a privilege Launchpad needs: %s; grant it (see the operator guide)", cc.redacted, msg)
	case pe.Code == codeRaiseException:
		return launchpad.Errorf(launchpad.EINVALID, "%s", msg)
	case class == "23", class == "22":
		// Integrity (NOT NULL, CHECK) or data (text that is not UTF-8, a NUL byte, a number out
		// of range): the record is wrong. PostgreSQL's message names the column or the
		// problem; the detail, which may quote the row, is left out.
		return launchpad.Errorf(launchpad.EINVALID, "the record cannot be stored: %s", msg)
	case class == "08", class == "53", class == "57", class == "58":
		// Connection trouble, insufficient resources (disk full, out of memory, too many
		// connections), the server shutting down or starting up, a system error.
		return launchpad.Errorf(launchpad.EUNAVAILABLE, "PostgreSQL at %s cannot serve the request now (%s, SQLSTATE %s); retry", cc.redacted, msg, pe.Code)
	case class == "28":
		return launchpad.Errorf(launchpad.EINVALID, "PostgreSQL refused the credentials in %s (%s): check the user and password (or PGPASSWORD, the password file) and pg_hba.conf", cc.redacted, msg)
	case pe.Code == codeInvalidCatalogName:
		return launchpad.Errorf(launchpad.EINVALID, "%s: create the database (createdb) or name an existing one in LAUNCHPAD_STORE", msg)
	}
	return &scrubbed{msg: fmt.Sprintf("postgres: %s (SQLSTATE %s)", msg, pe.Code), cause: err}
}

// connectError reports that the server cannot be reached or refused the connection, naming it
// without the password.
func (cc *connConfig) connectError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return cc.serverError(pe, err)
	}
	why := "it does not answer"
	switch {
	case errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err):
		why = "it did not answer in time"
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("postgres: %w", err)
	default:
		var opErr *net.OpError
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr):
			why = "its host name does not resolve (" + dnsErr.Err + ")"
		case errors.As(err, &opErr):
			why = cc.scrub(opErr.Err.Error())
		case strings.Contains(err.Error(), "tls"):
			why = "the TLS handshake failed (" + launchpad.Clip(cc.scrub(err.Error()), 200) + "); check sslmode and sslrootcert"
		}
	}
	return launchpad.Errorf(launchpad.EUNAVAILABLE, "cannot reach PostgreSQL at %s: %s", cc.redacted, why)
}

// isUnreachable reports whether err means the connection to the server failed or broke.
func isUnreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.Timeout(err)
}

// uniqueWhat names what a unique violation is about: the columns of its constraint, as
// table.column like the other stores name them.
func uniqueWhat(pe *pgconn.PgError) string {
	if c, ok := uniqueConstraints[pe.ConstraintName]; ok {
		return c
	}
	if pe.TableName != "" {
		return "a unique value of " + pe.TableName
	}
	return "a unique value"
}

// uniqueConstraints are the schema's unique constraints and indexes by name.
var uniqueConstraints = map[string]string{
	"users_pkey":               "users.id",
	"users_email":              "users.email",
	"plans_pkey":               "plans.name",
	"plans_stripe_price":       "plans.stripe_price_id",
	"tenants_pkey":             "tenants.app_name",
	"sub_keys_pkey":            "sub_keys.hash",
	"stripe_events_pkey":       "stripe_events.id",
	"jobs_pkey":                "jobs.id",
	"jobs_one_running_per_key": "jobs.job_key",
	"sessions_pkey":            "sessions.id",
	"sessions_token_hash_key":  "sessions.token_hash",
	"audit_events_pkey":        "audit_events.stream, audit_events.seq",
	"audit_events_id_key":      "audit_events.id",
}

// violated returns the constraint a unique violation broke, or "" for any other error.
func violated(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == codeUniqueViolation {
		return pe.ConstraintName
	}
	return ""
}

// isNoRows reports whether a query found nothing.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// notFound is the ENOTFOUND error of a missing record.
func notFound(what, key string) error {
	return launchpad.Errorf(launchpad.ENOTFOUND, "%s %q not found", what, launchpad.Clip(key, 200))
}

// keyChanged is the EINVALID error of an update function that changed the record's key.
func keyChanged(what, field, from, to string) error {
	return launchpad.Errorf(launchpad.EINVALID, "%s %q: an update may not change %s (to %q); create a new %s instead", what, from, field, to, what)
}

// scrubbed is an uncoded error whose message has been scrubbed of the password; it still
// unwraps to the driver's error for errors.Is and errors.As.
type scrubbed struct {
	msg   string
	cause error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.cause }
