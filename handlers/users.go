package handlers

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"ethicsportal/app"
)

type createUserRequest struct {
	Username string   `json:"username"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
}

// patchUserRequest tells an absent field (nil) from one sent.
type patchUserRequest struct {
	Roles     *[]string `json:"roles"`
	Disabled  *bool     `json:"disabled"`
	Password  *string   `json:"password"`
	ResetTOTP *bool     `json:"reset_totp"`
}

type userJSON struct {
	Username  string   `json:"username"`
	Roles     []string `json:"roles"`
	Disabled  bool     `json:"disabled"`
	TOTP      *bool    `json:"totp,omitempty"`
	CreatedAt string   `json:"created_at,omitempty"`
	TOTPURI   string   `json:"totp_uri,omitempty"`
}

func toUserJSON(v *app.UserView) userJSON {
	totp := v.TOTP
	out := userJSON{Username: v.Username, Roles: v.Roles, Disabled: v.Disabled, TOTP: &totp, TOTPURI: v.TOTPURI}
	if !v.CreatedAt.IsZero() {
		out.CreatedAt = v.CreatedAt.UTC().Format(time.RFC3339)
	}
	return out
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	u, err := s.app.AddUser(c.UserContext(), principal(c).Username, app.NewUser{Username: req.Username, Password: req.Password, Roles: req.Roles})
	if err != nil {
		return err
	}
	c.Location("/api/v1/admin/users/" + url.PathEscape(u.Username))
	return c.Status(fiber.StatusCreated).JSON(userJSON{Username: u.Username, Roles: u.Roles, TOTPURI: u.TOTPURI})
}

type usersResponse struct {
	Users []userJSON `json:"users"`
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	us, err := s.app.Users(c.UserContext())
	if err != nil {
		return err
	}
	out := usersResponse{Users: make([]userJSON, len(us))}
	for i := range us {
		out.Users[i] = toUserJSON(&us[i])
	}
	return c.JSON(out)
}

func (s *Server) patchUser(c *fiber.Ctx) error {
	name, err := pathParam(c, "username", "username")
	if err != nil {
		return err
	}
	var req patchUserRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	p := app.UserPatch{Disabled: req.Disabled, Password: req.Password, ResetTOTP: req.ResetTOTP != nil && *req.ResetTOTP}
	if req.Roles != nil {
		p.Roles = *req.Roles
	}
	v, err := s.app.UpdateUser(c.UserContext(), principal(c).Username, name, p)
	if err != nil {
		return err
	}
	return c.JSON(toUserJSON(v))
}
