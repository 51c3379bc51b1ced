package browser

import (
	"net/http"
	"strings"
	"testing"

	"ethicsportal/app"
)

// Every page of the console that the scenarios do not visit passes the
// same accessibility check, and the busiest reflow at 320 px: an
// administrator (who holds every role) opens each in turn.
func TestConsolePagesAreAccessible(t *testing.T) {
	p := thePortal(t)
	b := newBrowser(t, p.URL)
	ad := b.tab("admin")
	ad.signIn("demo-admin")
	revoked := strings.Fields(app.DemoRevokedExample)[0] // the certificate number
	for _, pg := range []struct {
		path   string
		narrow bool
	}{
		{"/admin", true},
		{"/admin/users", true},
		{"/admin/users/demo-editor", false},
		{"/admin/clients", false},
		{"/admin/cases", false},
		{"/admin/actions", false},
		{"/admin/actions?status=applied", false},
		{"/admin/credentials", false},
		{"/admin/credentials?certificate_no=" + revoked, true},
		{"/admin/credentials/new", false},
		{"/admin/credentials/import", false},
		{"/admin/bans?certificate_no=" + revoked, false},
		{"/admin/audit", true},
	} {
		if st := ad.open(pg.path); st != http.StatusOK {
			t.Fatalf("%s: status %d", pg.path, st)
		}
		ad.axe("console " + pg.path)
		if pg.narrow {
			ad.narrow("console " + pg.path)
		}
	}
	ad.shot("console-audit")
}
