package firestore

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// TestIndexFile checks firestore.indexes.json, which operators deploy: it parses, and it has
// the composite index each ListJobs filter needs (the filter field, then createdAt
// descending, on the jobs collection), which the emulator cannot check.
func TestIndexFile(t *testing.T) {
	raw, err := os.ReadFile("firestore.indexes.json")
	if err != nil {
		t.Fatal(err)
	}
	type field struct {
		FieldPath string `json:"fieldPath"`
		Order     string `json:"order"`
	}
	var file struct {
		Indexes []struct {
			CollectionGroup string  `json:"collectionGroup"`
			QueryScope      string  `json:"queryScope"`
			Fields          []field `json:"fields"`
		} `json:"indexes"`
		FieldOverrides []struct {
			CollectionGroup string `json:"collectionGroup"`
			FieldPath       string `json:"fieldPath"`
		} `json:"fieldOverrides"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("firestore.indexes.json: %v", err)
	}
	jobs := newCollections(DefaultCollectionPrefix).jobs
	for _, filter := range []string{"kind", "key", "status"} {
		want := []field{{filter, "ASCENDING"}, {"createdAt", "DESCENDING"}}
		found := false
		for _, ix := range file.Indexes {
			found = found || ix.CollectionGroup == jobs && ix.QueryScope == "COLLECTION" && reflect.DeepEqual(ix.Fields, want)
		}
		if !found {
			t.Errorf("no composite index %v on %s for ListJobs filtering on %s", want, jobs, filter)
		}
	}
	// ListAuditToTrim: untrimmed events by time.
	audit := newCollections(DefaultCollectionPrefix).auditEvents
	wantTrim := []field{{"trimmed", "ASCENDING"}, {"time", "ASCENDING"}}
	foundTrim := false
	for _, ix := range file.Indexes {
		foundTrim = foundTrim || ix.CollectionGroup == audit && ix.QueryScope == "COLLECTION" && reflect.DeepEqual(ix.Fields, wantTrim)
	}
	if !foundTrim {
		t.Errorf("no composite index %v on %s for ListAuditToTrim", wantTrim, audit)
	}
	// The exempted fields are ones no query filters or orders on.
	queried := map[string]bool{"id": true, "email": true, "subscription.stripeCustomerId": true, "name": true,
		"userId": true, "familyId": true, "receivedAt": true, "kind": true, "key": true, "status": true,
		"createdAt": true, "pendingSince": true, "time": true, "rotatedAt": true, "expiresAt": true,
		"finishedAt": true, "revokedAt": true, "lastSeen": true, "trimmed": true}
	for _, o := range file.FieldOverrides {
		if queried[o.FieldPath] {
			t.Errorf("field override exempts %s.%s, which a query uses", o.CollectionGroup, o.FieldPath)
		}
	}
}
