package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"ethicsportal/store"
	"ethicsportal/store/internal/casecodec"
)

// The case register. Categories, sanctions and a revision's previous
// content are JSON text (casecodec); dates and times as everywhere else.

const caseCols = `id, title, summary, body, subject_name, school, district, stage, categories, sanctions,
	incident_date, decision_date, authority, certificate_no, status, publish_until, created_by,
	created_at, updated_at, published_at, amended_at, withdrawn_at, withdraw_reason, expired_at, version`

// caseColCount is the number of columns in caseCols, and so of caseArgs.
const caseColCount = 25

// caseByIDSQL reads a case and its revisions in one statement, and so from
// one snapshot: a case is never seen with a revision its version does not
// have. The case comes on every row; a row with seq 0 (seqs start at 1)
// stands for no revision. No column of case_revisions shares a name with
// one of cases, so caseCols needs no table prefix.
const caseByIDSQL = `SELECT ` + caseCols + `,
	coalesce(r.seq, 0), r.at, coalesce(r.note, ''), r.action_id, coalesce(r.previous, '')
FROM cases LEFT JOIN case_revisions AS r ON r.case_id = cases.id
WHERE cases.id = ? ORDER BY r.seq`

// pendingCases keeps the cases that are the object of a pending action and,
// unless ?1 is empty, have status ?1. The pending actions are few and reached
// through the actions (status, id) index; each names its case by key.
const pendingCases = `id IN (SELECT substr(object, 6) FROM actions
		WHERE status = 'pending' AND substr(object, 1, 5) = 'case:')
	AND (?1 = '' OR status = ?1)`

// writeCaseSQL takes caseArgs with ?25 the version the write was decided
// from, and changes the row only if that is still the stored version. The
// id, creator and creation time are never rewritten (?17 and ?18 are bound
// but unused).
const writeCaseSQL = `UPDATE cases SET title = ?2, summary = ?3, body = ?4, subject_name = ?5, school = ?6,
		district = ?7, stage = ?8, categories = ?9, sanctions = ?10, incident_date = ?11,
		decision_date = ?12, authority = ?13, certificate_no = ?14, status = ?15, publish_until = ?16,
		updated_at = ?19, published_at = ?20, amended_at = ?21, withdrawn_at = ?22,
		withdraw_reason = ?23, expired_at = ?24, version = ?25 + 1
	WHERE id = ?1 AND version = ?25`

// addCaseRevisionSQL numbers the revision after the case's last one; it
// inserts nothing, and returns no row, when there is no such case. The
// write transaction holds SQLite's one write lock, so no other revision
// can take the number between the read of the last and the insert.
const addCaseRevisionSQL = `INSERT INTO case_revisions (case_id, seq, at, note, action_id, previous)
	SELECT id, (SELECT coalesce(max(seq), 0) + 1 FROM case_revisions WHERE case_id = ?1), ?2, ?3, ?4, ?5
	FROM cases WHERE id = ?1
	RETURNING seq`

// expireCasesSQL marks up to ?3 published, unexpired cases whose
// disclosure ended before ?2 as expired at ?1, walking the expiry index
// (named, as the planner would take the status index: see stmts.go).
const expireCasesSQL = `UPDATE cases SET expired_at = ?1, version = version + 1
	WHERE id IN (SELECT id FROM cases INDEXED BY cases_expiry
		WHERE status = 'published' AND expired_at IS NULL AND publish_until < ?2
		ORDER BY publish_until, id LIMIT ?3)
	RETURNING id`

// scanCase reads caseCols into c, then the extra columns into extra.
func scanCase(sc rowScanner, c *store.Case, extra ...any) error {
	var categories, sanctions string
	dest := append([]any{&c.ID, &c.Title, &c.Summary, &c.Body, &c.SubjectName, &c.School, &c.District,
		&c.Stage, &categories, &sanctions, &c.IncidentDate, &c.DecisionDate, &c.Authority,
		&c.CertificateNo, &c.Status, &c.PublishUntil, &c.CreatedBy, timeCol{&c.CreatedAt},
		timeCol{&c.UpdatedAt}, timeCol{&c.PublishedAt}, timeCol{&c.AmendedAt}, timeCol{&c.WithdrawnAt},
		&c.WithdrawReason, timeCol{&c.ExpiredAt}, &c.Version}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return err
	}
	var err error
	if c.Categories, err = casecodec.DecodeCategories(categories); err != nil {
		return err
	}
	c.Sanctions, err = casecodec.DecodeSanctions(sanctions)
	return err
}

// caseArgs are c's columns in the order of caseCols, version last.
func caseArgs(c *store.Case, version int64) ([]any, error) {
	sanctions, err := casecodec.Sanctions(c.Sanctions)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.Title, c.Summary, c.Body, c.SubjectName, c.School, c.District, c.Stage,
		casecodec.Categories(c.Categories), sanctions, dateArg(c.IncidentDate), dateArg(c.DecisionDate),
		c.Authority, c.CertificateNo, c.Status, dateArg(c.PublishUntil), c.CreatedBy,
		timeArg(c.CreatedAt), timeArg(c.UpdatedAt), timeArg(c.PublishedAt), timeArg(c.AmendedAt),
		timeArg(c.WithdrawnAt), c.WithdrawReason, timeArg(c.ExpiredAt), version}, nil
}

// queryCases runs a statement whose rows are caseCols and collects them,
// never returning a nil slice.
func (r reader) queryCases(ctx context.Context, op string, id stmtID, args ...any) ([]store.Case, error) {
	rows, err := r.src.stmt(ctx, id).QueryContext(ctx, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	cases := []store.Case{}
	for rows.Next() {
		var c store.Case
		if err := scanCase(rows, &c); err != nil {
			return nil, wrap(op, err)
		}
		cases = append(cases, c)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return cases, nil
}

// CaseByID returns the case with that id, whatever its status, with its
// revisions oldest first (an empty slice when it has none); ENotFound when
// there is no such case.
func (r reader) CaseByID(ctx context.Context, id string) (*store.Case, error) {
	rows, err := r.src.stmt(ctx, sCaseByID).QueryContext(ctx, id)
	if err != nil {
		return nil, wrap("case by id", err)
	}
	defer rows.Close()
	var (
		c     store.Case
		found bool
		revs  = []store.CaseRevision{}
	)
	for rows.Next() {
		var (
			rev      store.CaseRevision
			previous string
		)
		// A case has few revisions: scanning the case again on each row is
		// cheaper than a second statement.
		if err := scanCase(rows, &c, &rev.Seq, timeCol{&rev.At}, &rev.Note, idCol{&rev.ActionID}, &previous); err != nil {
			return nil, wrap("case by id", err)
		}
		found = true
		if rev.Seq == 0 {
			continue
		}
		if rev.Previous, err = casecodec.DecodeContent(previous); err != nil {
			return nil, wrap("case by id", err)
		}
		revs = append(revs, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("case by id", err)
	}
	if !found {
		return nil, store.Errorf(store.ENotFound, "no such case")
	}
	c.Revisions = revs
	return &c, nil
}

// Cases returns the cases matching f, most recently updated first (ties by
// id), skipping f.Offset and returning at most f.Limit of them (no limit
// for 0 or less), and how many match in all. As for Actions, the page and
// the count are two statements, which a commit in between may set apart.
func (r reader) Cases(ctx context.Context, f store.CaseFilter) ([]store.Case, int, error) {
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	offset := max(0, int64(f.Offset))
	list, count := sCases, sCountCases
	args, countArgs := []any{limit, offset}, []any{}
	switch {
	case f.Pending:
		list, count = sCasesPending, sCountCasesPending
		args, countArgs = []any{f.Status, limit, offset}, []any{f.Status}
	case f.Status != "":
		list, count = sCasesByStatus, sCountCasesByStatus
		args, countArgs = []any{f.Status, limit, offset}, []any{f.Status}
	}
	var total int
	if err := r.src.stmt(ctx, count).QueryRowContext(ctx, countArgs...).Scan(&total); err != nil {
		return nil, 0, wrap("count cases", err)
	}
	cases, err := r.queryCases(ctx, "cases", list, args...)
	if err != nil {
		return nil, 0, err
	}
	return cases, total, nil
}

// PublishedCases returns up to limit published cases with an id after
// after, in id order; none for a limit of 0 or less.
func (r reader) PublishedCases(ctx context.Context, after string, limit int) ([]store.Case, error) {
	if limit <= 0 {
		return []store.Case{}, nil
	}
	return r.queryCases(ctx, "published cases", sPublishedCases, after, limit)
}

// NewestVisibleCases returns up to limit cases visible on today, newest
// PublishedAt first, ties by id; none for a limit of 0 or less.
func (r reader) NewestVisibleCases(ctx context.Context, today store.Date, limit int) ([]store.Case, error) {
	if limit <= 0 {
		return []store.Case{}, nil
	}
	return r.queryCases(ctx, "newest visible cases", sNewestVisibleCases, today.String(), limit)
}

// PublicationGeneration returns the publication generation, 0 on a new
// store.
func (r reader) PublicationGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := r.src.stmt(ctx, sPublicationGeneration).QueryRowContext(ctx).Scan(&g); err != nil {
		return 0, wrap("publication generation", err)
	}
	return g, nil
}

// CreateCase inserts c with Version 1 and sets c.Version. EConflict if the
// id is taken; EInvalid for an empty id or an unknown status.
func (t *txn) CreateCase(ctx context.Context, c *store.Case) error {
	if err := casecodec.Check(c); err != nil {
		return err
	}
	args, err := caseArgs(c, 1)
	if err != nil {
		return err
	}
	res, err := t.stmt(ctx, sCreateCase).ExecContext(ctx, args...)
	if err != nil {
		return wrap("create case", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("create case", err)
	}
	if n == 0 {
		return store.FieldError(store.EConflict, "id", "a case with id %s exists", c.ID)
	}
	c.Version = 1
	return nil
}

// WriteCase rewrites the stored case c.ID from c, but for its id, creator
// and creation time, if its version is still fromVersion, and then sets
// c.Version to fromVersion+1. One conditional UPDATE: of two writes
// decided from one version, the second matches no row and gets EConflict.
// ENotFound when there is no such case; EInvalid for an unknown status.
func (t *txn) WriteCase(ctx context.Context, c *store.Case, fromVersion int64) error {
	if err := casecodec.Check(c); err != nil {
		return err
	}
	args, err := caseArgs(c, fromVersion)
	if err != nil {
		return err
	}
	res, err := t.stmt(ctx, sWriteCase).ExecContext(ctx, args...)
	if err != nil {
		return wrap("write case", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("write case", err)
	}
	if n == 1 {
		c.Version = fromVersion + 1
		return nil
	}
	var exists bool
	if err := t.stmt(ctx, sCaseExists).QueryRowContext(ctx, c.ID).Scan(&exists); err != nil {
		return wrap("write case", err)
	}
	if !exists {
		return store.Errorf(store.ENotFound, "no such case")
	}
	return store.Errorf(store.EConflict, "case %s was changed by someone else a moment ago", c.ID)
}

// AddCaseRevision appends r to the case's revisions, numbered after its
// last one, and sets r.Seq. ENotFound if there is no such case.
func (t *txn) AddCaseRevision(ctx context.Context, caseID string, r *store.CaseRevision) error {
	previous, err := casecodec.Content(r.Previous)
	if err != nil {
		return err
	}
	var seq int
	err = t.stmt(ctx, sAddCaseRevision).QueryRowContext(ctx, caseID, timeArg(r.At), r.Note,
		idArg(r.ActionID), previous).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Errorf(store.ENotFound, "no such case")
	}
	if err != nil {
		return wrap("add case revision", err)
	}
	r.Seq = seq
	return nil
}

// ExpireCases marks up to limit published cases whose disclosure ended
// before today, and which are not expired yet, as expired at at, bumping
// their versions, and returns their ids in id order. The write transaction
// holds SQLite's one write lock, so two sweeps take turns and the second
// finds the first's cases expired. None for a limit of 0 or less. A zero
// at is EInvalid: it would read as "not expired".
func (t *txn) ExpireCases(ctx context.Context, today store.Date, at time.Time, limit int) ([]string, error) {
	if at.IsZero() {
		return nil, store.FieldError(store.EInvalid, "expired_at", "a case expires at a time")
	}
	ids := []string{}
	if limit <= 0 || today.IsZero() {
		return ids, nil
	}
	rows, err := t.stmt(ctx, sExpireCases).QueryContext(ctx, timeArg(at), today.String(), limit)
	if err != nil {
		return nil, wrap("expire cases", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("expire cases", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("expire cases", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// BumpPublicationGeneration increments the publication generation and
// returns the new value.
func (t *txn) BumpPublicationGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := t.stmt(ctx, sBumpPublicationGeneration).QueryRowContext(ctx).Scan(&g); err != nil {
		return 0, wrap("bump publication generation", err)
	}
	return g, nil
}
