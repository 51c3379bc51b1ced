package handlers_test

import "testing"

// When several fields are wrong, the one reported is the same on every
// run: validation never follows map iteration order.
func TestValidationReportsTheSameFieldEveryTime(t *testing.T) {
	e := newEnv(t, nil)
	tm := e.team()
	e.registerCredential(tm.registrar, nil)
	cases := []struct {
		name, method, path, token, want string
		body                            any
	}{
		{"ban parameters", "POST", "/api/v1/admin/actions", tm.admin, "name",
			map[string]any{"kind": "impose_ban", "reason": "行业禁入决定", "name": 1, "id_number": 2, "certificate_no": 3, "scope": 4, "starts_on": 5}},
		{"kind and reason", "POST", "/api/v1/admin/actions", tm.admin, "kind", map[string]any{"kind": 1, "reason": 2}},
		{"unknown parameters", "POST", "/api/v1/admin/actions", tm.admin, "aa",
			map[string]any{"kind": "revoke_credential", "certificate_no": certNo, "reason": "撤销", "zz": 1, "mm": 2, "aa": 3, "qq": 4}},
		{"paging", "GET", "/api/v1/admin/actions?per_page=x&page=y", tm.admin, "page", nil},
		{"credential text", "POST", "/api/v1/admin/credentials", tm.registrar, "subject",
			map[string]string{"certificate_no": "20191100000000041", "holder_name": "王芳", "kind": "primary",
				"subject": "语\x00文", "issuer": "东城\u202e区", "issued_on": "2019-07-01", "registered_until": "2029-06-30"}},
	}
	for _, c := range cases {
		for range 30 {
			r := e.do(c.method, c.path, c.body, bearer(c.token)...)
			if r.status != 400 || r.str("field") != c.want {
				t.Fatalf("%s: %d field %q, want 400 naming %q; %s", c.name, r.status, r.str("field"), c.want, r.body)
			}
		}
	}
}
