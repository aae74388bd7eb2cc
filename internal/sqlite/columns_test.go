package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clawdrun/terraform-provider-launchpad/internal/launchpad"
)

func TestColumnStatements(t *testing.T) {
	cs := columns{{"id", "u1", nil}, {"email", "a@example.com", nil}, {"plan_name", "pro", nil}}
	check := func(what, got string, args []any, want string, wantArgs ...any) {
		t.Helper()
		if got != want || !slices.Equal(args, wantArgs) {
			t.Errorf("%s:\n got %s %v\nwant %s %v", what, got, args, want, wantArgs)
		}
	}
	q, args := cs.insert("users")
	check("insert", q, args, "INSERT INTO users (id, email, plan_name) VALUES (?, ?, ?)", "u1", "a@example.com", "pro")
	q, args = cs.upsert("users", "id")
	check("upsert", q, args, "INSERT INTO users (id, email, plan_name) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET email = excluded.email, plan_name = excluded.plan_name",
		"u1", "a@example.com", "pro")
	q, args = cs.update("users", "id")
	check("update", q, args, "UPDATE users SET email = ?, plan_name = ? WHERE id = ?", "a@example.com", "pro", "u1")

	var email string
	read := columns{{"id", "u1", nil}, {"email", "", &email}}
	if got := read.selectFrom("users AS u"); got != "SELECT email FROM users AS u" {
		t.Errorf("selectFrom reads only the columns with a dest: %s", got)
	}
	if d := read.dests(); len(d) != 1 || d[0] != &email {
		t.Errorf("dests = %v", d)
	}
}

// TestColumnListsMatchTheSchema: each table's column list names exactly the columns the
// migrations give the table, so a write leaves none out and a read gets every one.
func TestColumnListsMatchTheSchema(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "launchpad.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for table, cs := range map[string]columns{
		"plans":         planColumns(&launchpad.Plan{}),
		"tenants":       tenantColumns(&launchpad.Tenant{}),
		"sub_keys":      subKeyColumns(&launchpad.SubKey{}),
		"users":         userColumns(&launchpad.User{}, &userDocs{}),
		"stripe_events": stripeEventColumns(&launchpad.StripeEvent{}),
		"jobs":          jobColumns(&launchpad.Job{}),
		"sessions":      sessionColumns(&launchpad.Session{}),
		"devices":       deviceColumns(&launchpad.Device{}),
		"sign_in_codes": signInCodeColumns(&launchpad.SignInCode{}),
		"audit_events":  auditColumns(&launchpad.AuditEvent{}, new(string)),
	} {
		rows, err := db.reader.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY name`, table)
		if err != nil {
			t.Fatal(err)
		}
		var schema []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				t.Fatal(err)
			}
			schema = append(schema, name)
		}
		rows.Close()
		var listed []string
		for _, c := range cs {
			listed = append(listed, c.name)
		}
		slices.Sort(listed)
		if !slices.Equal(listed, schema) {
			t.Errorf("%s: the column list names %v; the schema has %v", table, listed, schema)
		}
	}
}
