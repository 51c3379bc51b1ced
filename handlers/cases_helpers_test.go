package handlers_test

import "time"

// caseDraft is a valid draft body: the clock of newEnv stands at
// 2026-06-01, so its dates are in the past, and its decision of
// 2026-04-20 with a demerit keeps it in public view until 2027-04-20.
func caseDraft() map[string]any {
	return map[string]any{
		"title":         "某小学教师体罚学生",
		"summary":       "该教师在课堂上多次体罚学生，造成不良影响。",
		"body":          "经查，张某某在担任班主任期间多次体罚学生。\n\n区教委依据有关规定给予处分。",
		"subject_name":  "张某某",
		"school":        "北京市海淀区某小学",
		"district":      "海淀区",
		"stage":         "primary",
		"categories":    []int{5},
		"sanctions":     []map[string]string{{"type": "demerit", "detail": "记过处分"}},
		"incident_date": "2026-03-02",
		"decision_date": "2026-04-20",
		"authority":     "北京市海淀区教育委员会",
	}
}

// draft creates a draft with caseDraft's fields, changed by fields (a nil
// value removes the field), and returns the answer, failing unless 201.
func (e *env) draft(token string, fields map[string]any) *response {
	e.t.Helper()
	body := caseDraft()
	for k, v := range fields {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	r := e.do("POST", "/api/v1/admin/cases", body, bearer(token)...)
	if r.status != 201 {
		e.t.Fatalf("draft %v: %d %s", fields, r.status, r.body)
	}
	return r
}

// draftID creates a draft and returns its id.
func (e *env) draftID(token string, fields map[string]any) string {
	e.t.Helper()
	return e.draft(token, fields).str("id")
}

// publish drafts a case (as editor), has it published (approved by
// reviewer, acknowledging findings if ack is not empty) and returns its id.
func (e *env) publish(editor, reviewer string, fields map[string]any, ack string) string {
	e.t.Helper()
	id := e.draftID(editor, fields)
	act := e.propose(editor, map[string]any{"kind": "publish_case", "case_id": id, "reason": "经审核，依规公开"})
	var r *response
	if ack != "" {
		r = e.approveWith(reviewer, act, map[string]any{"acknowledge_findings": ack})
	} else {
		r = e.approve(reviewer, act)
	}
	if r.status != 200 {
		e.t.Fatalf("publish %s: %d %s", id, r.status, r.body)
	}
	return id
}

func (e *env) approveWith(token, id string, body map[string]any) *response {
	return e.do("POST", "/api/v1/admin/actions/"+id+"/approve", body, bearer(token)...)
}

// publicCase reads a case as the public does.
func (e *env) publicCase(id string) *response {
	return e.do("GET", "/api/v1/cases/"+id, nil)
}

// adminCase reads a case as an editor does, failing unless 200.
func (e *env) adminCase(token, id string) *response {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/cases/"+id, nil, bearer(token)...)
	if r.status != 200 {
		e.t.Fatalf("admin case %s: %d %s", id, r.status, r.body)
	}
	return r
}

// login signs in a user addUser made, for a fresh token after the clock
// moved past the old one's lifetime.
func (e *env) login(name string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": name, "password": "correct horse battery " + name})
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	return r.str("access_token")
}

// later moves the clock on by d and signs the team in again.
func (e *env) later(d time.Duration, tm *team) {
	e.t.Helper()
	e.clock.Add(d)
	*tm = team{registrar: e.login("reg"), reviewer: e.login("rev"), reviewer2: e.login("rev2"), editor: e.login("ed"), admin: e.login("root")}
}
