package handlers

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
	"ethicsportal/store"
)

// The console's bans page: a holder's bans, lifted ones included, found by
// certificate number or ID number, and the proposal to lift one. A search
// by ID number is posted, so that the number stays out of the address,
// the browser's history and the access logs.

// bansView is the bans page's data.
type bansView struct {
	registerLabels
	CertificateNo string
	IDNumber      string // as typed, for the form only; never in a URL
	Searched      bool
	Bans          []store.Ban
	Scopes        []store.Term
	CanLift       bool  // the viewer may propose lift_ban
	Proposed      int64 // the action just proposed
	FailedBan     int64 // the ban whose lift form has the errors
	Errors        []fieldError
	Err           map[string]string
	Reason        string // the failed lift form's reason
}

func (s *Server) newBansView(c *fiber.Ctx) bansView {
	p := principal(c)
	return bansView{Scopes: taxonomyScopes(), CanLift: p != nil && p.HasRole(store.RoleRegistrar),
		Err: map[string]string{}}
}

// bansPage lists a holder's bans when ?certificate_no= is given.
func (s *Server) bansPage(c *fiber.Ctx) error {
	v := s.newBansView(c)
	if p, err := strconv.ParseInt(c.Query("proposed"), 10, 64); err == nil && p > 0 {
		v.Proposed = p
	}
	v.CertificateNo = strings.TrimSpace(utilsCopy(c.Query("certificate_no")))
	if v.CertificateNo == "" {
		return s.render(c, fiber.StatusOK, "bans", "register.bans.title", v)
	}
	return s.searchBans(c, v)
}

// bansSearch is the search form, posted.
func (s *Server) bansSearch(c *fiber.Ctx) error {
	v := s.newBansView(c)
	v.CertificateNo, v.IDNumber = strings.TrimSpace(formValue(c, "certificate_no")), strings.TrimSpace(formValue(c, "id_number"))
	return s.searchBans(c, v)
}

func (s *Server) searchBans(c *fiber.Ctx, v bansView) error {
	bans, err := s.app.HolderBans(c.UserContext(), app.BanQuery{CertificateNo: v.CertificateNo, IDNumber: v.IDNumber})
	if err != nil {
		id := "ban-certificate_no"
		if store.IsCode(err, store.EInvalid) && v.IDNumber != "" && v.CertificateNo == "" {
			id = "ban-id_number"
		}
		errs := s.fieldErrors(pageLang(c), err, map[string]string{"": id, "certificate_no": "ban-certificate_no", "id_number": "ban-id_number"})
		if errs == nil {
			return err
		}
		if store.IsCode(err, store.EMissing) || (v.IDNumber != "" && v.CertificateNo != "") {
			errs[0].Field, errs[0].Message = "ban-certificate_no", s.site.catalog.text(pageLang(c), "register.bans.one_of")
		}
		v.Errors, v.Err = errs, errMap(errs)
		return s.render(c, statusOfForm(err), "bans", "register.bans.title", v)
	}
	v.Searched, v.Bans = true, bans
	return s.render(c, fiber.StatusOK, "bans", "register.bans.title", v)
}

// proposeLiftBan proposes lift_ban for a ban of the list.
func (s *Server) proposeLiftBan(c *fiber.Ctx) error {
	banID, err := strconv.ParseInt(formValue(c, "ban_id"), 10, 64)
	if err != nil || banID < 1 {
		return store.FieldError(store.EInvalid, "ban_id", "no such ban")
	}
	reason := formValue(c, "reason")
	act, err := s.app.ProposeAction(c.UserContext(), principal(c), app.Proposal{Kind: store.ActionLiftBan, Reason: reason,
		Params: map[string]json.RawMessage{"ban_id": json.RawMessage(strconv.FormatInt(banID, 10))}})
	if err != nil {
		id := "lift-" + strconv.FormatInt(banID, 10) + "-reason"
		errs := s.fieldErrors(pageLang(c), err, map[string]string{"": id, "reason": id, "ban_id": id})
		if errs == nil {
			return err
		}
		errs[0].Field = id
		v := s.newBansView(c)
		v.CertificateNo, v.IDNumber = strings.TrimSpace(formValue(c, "certificate_no")), strings.TrimSpace(formValue(c, "id_number"))
		v.FailedBan, v.Errors, v.Err, v.Reason = banID, errs, errMap(errs), reason
		if v.CertificateNo != "" || v.IDNumber != "" {
			if bans, lerr := s.app.HolderBans(c.UserContext(), app.BanQuery{CertificateNo: v.CertificateNo, IDNumber: v.IDNumber}); lerr == nil {
				v.Searched, v.Bans = true, bans
			}
		}
		return s.render(c, statusOfForm(err), "bans", "register.bans.title", v)
	}
	next := "/admin/bans?proposed=" + strconv.FormatInt(act.ID, 10)
	if no := strings.TrimSpace(formValue(c, "certificate_no")); no != "" {
		next += "&certificate_no=" + url.QueryEscape(no) // never the ID number
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}
