package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"ethicsportal/store"
	"ethicsportal/store/internal/casecodec"
)

// The case register. Categories, sanctions and a revision's previous
// content are JSON text (casecodec), kept as the SQLite store keeps them;
// dates and times as everywhere else.

const caseCols = `id, title, summary, body, subject_name, school, district, stage, categories, sanctions,
	incident_date, decision_date, authority, certificate_no, status, publish_until, created_by,
	created_at, updated_at, published_at, amended_at, withdrawn_at, withdraw_reason, expired_at, version`

// caseByIDSQL reads a case and its revisions in one statement, and so from
// one snapshot: a case is never seen with a revision its version does not
// have. The case comes on every row; a row with seq 0 (seqs start at 1)
// stands for no revision. No column of case_revisions shares a name with
// one of cases, so caseCols needs no table prefix.
const caseByIDSQL = `SELECT ` + caseCols + `,
	coalesce(r.seq, 0), r.at, coalesce(r.note, ''), coalesce(r.action_id, 0), coalesce(r.previous, '')
FROM cases LEFT JOIN case_revisions AS r ON r.case_id = cases.id
WHERE cases.id = $1 ORDER BY r.seq`

// pendingCases keeps the cases that are the object of a pending action and,
// unless $1 is empty, have status $1. The pending actions are few and reached
// through the actions (status, id) index; each names its case by key.
const pendingCases = `id IN (SELECT substr(object, 6) FROM actions
		WHERE status = 'pending' AND substr(object, 1, 5) = 'case:')
	AND ($1::text = '' OR status = $1::text)`

// scanCase reads caseCols into c, then the extra columns into extra.
func scanCase(row pgx.Row, c *store.Case, extra ...any) error {
	var categories, sanctions string
	dest := append([]any{&c.ID, &c.Title, &c.Summary, &c.Body, &c.SubjectName, &c.School, &c.District,
		&c.Stage, &categories, &sanctions, &c.IncidentDate, &c.DecisionDate, &c.Authority,
		&c.CertificateNo, &c.Status, &c.PublishUntil, &c.CreatedBy, timeCol{&c.CreatedAt},
		timeCol{&c.UpdatedAt}, timeCol{&c.PublishedAt}, timeCol{&c.AmendedAt}, timeCol{&c.WithdrawnAt},
		&c.WithdrawReason, timeCol{&c.ExpiredAt}, &c.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	var err error
	if c.Categories, err = casecodec.DecodeCategories(categories); err != nil {
		return err
	}
	c.Sanctions, err = casecodec.DecodeSanctions(sanctions)
	return err
}

// contentArgs are the columns of c's content, in the order of caseCols
// from title to authority.
func contentArgs(c *store.CaseContent) ([]any, error) {
	sanctions, err := casecodec.Sanctions(c.Sanctions)
	if err != nil {
		return nil, err
	}
	return []any{c.Title, c.Summary, c.Body, c.SubjectName, c.School, c.District, c.Stage,
		casecodec.Categories(c.Categories), sanctions, dateArg(c.IncidentDate), dateArg(c.DecisionDate),
		c.Authority}, nil
}

// queryCases runs a query whose rows are caseCols and collects them, never
// returning a nil slice.
func (r reader) queryCases(ctx context.Context, op, sql string, args ...any) ([]store.Case, error) {
	rows, err := r.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	cases, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Case, error) {
		var c store.Case
		err := scanCase(row, &c)
		return c, err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if cases == nil {
		cases = []store.Case{}
	}
	return cases, nil
}

// CaseByID returns the case with that id, whatever its status, with its
// revisions oldest first (an empty slice when it has none); ENotFound when
// there is no such case.
func (r reader) CaseByID(ctx context.Context, id string) (*store.Case, error) {
	rows, err := r.q.Query(ctx, caseByIDSQL, id)
	if err != nil {
		return nil, wrap("case", err)
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
		if err := scanCase(rows, &c, &rev.Seq, timeCol{&rev.At}, &rev.Note, &rev.ActionID, &previous); err != nil {
			return nil, wrap("case", err)
		}
		found = true
		if rev.Seq == 0 {
			continue
		}
		if rev.Previous, err = casecodec.DecodeContent(previous); err != nil {
			return nil, wrap("case", err)
		}
		revs = append(revs, rev)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("case", err)
	}
	if !found {
		return nil, store.Errorf(store.ENotFound, "no such case")
	}
	c.Revisions = revs
	return &c, nil
}

// Cases returns a page of the cases matching f, most recently updated first
// (ties by id; a zero UpdatedAt last, where SQLite sorts it too), and how
// many match in all. A Limit of 0 or less means no
// limit; a negative Offset counts as 0. As for Actions, the count is taken
// in the statement that reads the page; only a page past the end needs a
// statement of its own for it.
func (r reader) Cases(ctx context.Context, f store.CaseFilter) ([]store.Case, int, error) {
	var limit *int // NULL: LIMIT ALL
	if f.Limit > 0 {
		limit = &f.Limit
	}
	offset := max(f.Offset, 0)
	// Separate texts with and without a status, so that a cached generic
	// plan can still walk the (status, updated_at, id) index.
	where, args := ``, []any{}
	switch {
	case f.Pending:
		where, args = `WHERE `+pendingCases, []any{f.Status}
	case f.Status != "":
		where, args = `WHERE status = $1`, []any{f.Status}
	}
	page := fmt.Sprintf(`SELECT count(*) OVER (), %s FROM cases %s ORDER BY updated_at DESC NULLS LAST, id LIMIT $%d OFFSET $%d`,
		caseCols, where, len(args)+1, len(args)+2)
	rows, err := r.q.Query(ctx, page, append(args, limit, offset)...)
	if err != nil {
		return nil, 0, wrap("cases", err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Case, error) {
		var c store.Case
		err := scanCase(prefixed{row, &total}, &c)
		return c, err
	})
	if err != nil {
		return nil, 0, wrap("cases", err)
	}
	if list == nil {
		list = []store.Case{}
	}
	if len(list) == 0 && offset > 0 {
		if err := r.q.QueryRow(ctx, `SELECT count(*) FROM cases `+where, args...).Scan(&total); err != nil {
			return nil, 0, wrap("cases", err)
		}
	}
	return list, total, nil
}

// PublishedCases returns up to limit published cases with an id after
// after, in id order; none for a limit of 0 or less.
func (r reader) PublishedCases(ctx context.Context, after string, limit int) ([]store.Case, error) {
	if limit <= 0 {
		return []store.Case{}, nil
	}
	return r.queryCases(ctx, "published cases", `SELECT `+caseCols+` FROM cases
		WHERE status = 'published' AND id > $1 ORDER BY id LIMIT $2`, after, limit)
}

// NewestVisibleCases returns up to limit cases visible on today, newest
// PublishedAt first (a zero one last), ties by id; none for a limit of 0 or
// less.
func (r reader) NewestVisibleCases(ctx context.Context, today store.Date, limit int) ([]store.Case, error) {
	if limit <= 0 {
		return []store.Case{}, nil
	}
	return r.queryCases(ctx, "newest visible cases", `SELECT `+caseCols+` FROM cases
		WHERE status = 'published' AND (publish_until IS NULL OR publish_until >= $1)
		ORDER BY published_at DESC NULLS LAST, id LIMIT $2`, dateArg(today), limit)
}

// PublicationGeneration returns the publication generation, 0 on a new
// store.
func (r reader) PublicationGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := r.q.QueryRow(ctx, `SELECT generation FROM publication_generation WHERE id = 1`).Scan(&g)
	return g, wrap("publication generation", err)
}

// CreateCase inserts c with Version 1 and sets c.Version. EConflict if the
// id is taken, also by a concurrent transaction (the insert yields to the
// existing key rather than failing, so the transaction stays usable);
// EInvalid for an empty id or an unknown status.
func (t *tx) CreateCase(ctx context.Context, c *store.Case) error {
	if err := casecodec.Check(c); err != nil {
		return err
	}
	content, err := contentArgs(&c.CaseContent)
	if err != nil {
		return err
	}
	args := append(append([]any{c.ID}, content...), c.CertificateNo, c.Status, dateArg(c.PublishUntil),
		c.CreatedBy, timeArg(c.CreatedAt), timeArg(c.UpdatedAt), timeArg(c.PublishedAt), timeArg(c.AmendedAt),
		timeArg(c.WithdrawnAt), c.WithdrawReason, timeArg(c.ExpiredAt))
	tag, err := t.tx.Exec(ctx, `INSERT INTO cases (`+caseCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
		$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, 1)
		ON CONFLICT (id) DO NOTHING`, args...)
	if err != nil {
		return wrap("create case", err)
	}
	if tag.RowsAffected() == 0 {
		return store.FieldError(store.EConflict, "id", "a case with id %s exists", c.ID)
	}
	c.Version = 1
	return nil
}

// WriteCase rewrites the stored case c.ID from c, but for its id, creator
// and creation time, if its version is still fromVersion, and then sets
// c.Version to fromVersion+1. One conditional UPDATE: of two transactions
// writing from one version, the second waits for the first's row lock,
// re-checks the version against the committed row and changes nothing, so
// it gets EConflict. ENotFound when there is no such case; EInvalid for an
// unknown status.
func (t *tx) WriteCase(ctx context.Context, c *store.Case, fromVersion int64) error {
	if err := casecodec.Check(c); err != nil {
		return err
	}
	content, err := contentArgs(&c.CaseContent)
	if err != nil {
		return err
	}
	args := append(append([]any{c.ID, fromVersion}, content...), c.CertificateNo, c.Status,
		dateArg(c.PublishUntil), timeArg(c.UpdatedAt), timeArg(c.PublishedAt), timeArg(c.AmendedAt),
		timeArg(c.WithdrawnAt), c.WithdrawReason, timeArg(c.ExpiredAt))
	tag, err := t.tx.Exec(ctx, `UPDATE cases SET title = $3, summary = $4, body = $5, subject_name = $6,
			school = $7, district = $8, stage = $9, categories = $10, sanctions = $11, incident_date = $12,
			decision_date = $13, authority = $14, certificate_no = $15, status = $16, publish_until = $17,
			updated_at = $18, published_at = $19, amended_at = $20, withdrawn_at = $21,
			withdraw_reason = $22, expired_at = $23, version = $2 + 1
		WHERE id = $1 AND version = $2`, args...)
	if err != nil {
		return wrap("write case", err)
	}
	if tag.RowsAffected() == 1 {
		c.Version = fromVersion + 1
		return nil
	}
	exists, err := t.exists(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE id = $1)`, c.ID)
	if err != nil {
		return wrap("write case", err)
	}
	if !exists {
		return store.Errorf(store.ENotFound, "no such case")
	}
	return store.Errorf(store.EConflict, "case %s was changed by someone else a moment ago", c.ID)
}

// AddCaseRevision appends r to the case's revisions, numbered after its
// last one, and sets r.Seq. ENotFound if there is no such case.
//
// The case row is locked first, so that two transactions adding revisions
// to one case take turns: the insert, a statement of its own, then reads
// the last number after the other transaction's commit and never takes
// the same one.
func (t *tx) AddCaseRevision(ctx context.Context, caseID string, r *store.CaseRevision) error {
	previous, err := casecodec.Content(r.Previous)
	if err != nil {
		return err
	}
	var one int
	err = t.tx.QueryRow(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, caseID).Scan(&one)
	if err != nil {
		return lookupErr("add case revision", err, "no such case")
	}
	var actionID *int64
	if r.ActionID != 0 {
		actionID = &r.ActionID
	}
	err = t.tx.QueryRow(ctx, `INSERT INTO case_revisions (case_id, seq, at, note, action_id, previous)
		SELECT $1::text, coalesce(max(seq), 0) + 1, $2::timestamptz, $3::text, $4::bigint, $5::text
		FROM case_revisions WHERE case_id = $1::text
		RETURNING seq`, caseID, timeArg(r.At), r.Note, actionID, previous).Scan(&r.Seq)
	return wrap("add case revision", err)
}

// ExpireCases marks up to limit published cases whose disclosure ended
// before today, and which are not expired yet, as expired at at, bumping
// their versions, and returns their ids in id order. None for a limit of 0
// or less; a zero at is EInvalid, as it would read as "not expired".
//
// Two sweeps at once never both take a case: the candidates are locked
// with SKIP LOCKED, so a case another sweep holds is passed over (and the
// next candidate taken instead), and one it expired and committed since
// this statement's snapshot is re-checked on its new version and dropped.
// The candidates are picked in a materialised CTE, run once: as a subquery
// of the UPDATE, a plan may rescan it after the UPDATE has changed some of
// its rows, and a rescan then passes over those and takes more than limit
// (seen). The UPDATE repeats "not expired" as the guard that holds whatever
// the plan.
func (t *tx) ExpireCases(ctx context.Context, today store.Date, at time.Time, limit int) ([]string, error) {
	if at.IsZero() {
		return nil, store.FieldError(store.EInvalid, "expired_at", "a case expires at a time")
	}
	if limit <= 0 || today.IsZero() {
		return []string{}, nil
	}
	rows, err := t.tx.Query(ctx, `WITH due AS MATERIALIZED (
			SELECT id FROM cases
			WHERE status = 'published' AND expired_at IS NULL AND publish_until < $2
			ORDER BY publish_until, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE cases SET expired_at = $1, version = version + 1 FROM due
		WHERE cases.id = due.id AND cases.status = 'published' AND cases.expired_at IS NULL
		RETURNING cases.id`, timeArg(at), dateArg(today), limit)
	if err != nil {
		return nil, wrap("expire cases", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap("expire cases", err)
	}
	if ids == nil {
		ids = []string{}
	}
	slices.Sort(ids)
	return ids, nil
}

// BumpPublicationGeneration increments the publication generation and
// returns the new value. The row lock it takes serialises bumps, so each
// returns a value of its own.
func (t *tx) BumpPublicationGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := t.tx.QueryRow(ctx, `UPDATE publication_generation SET generation = generation + 1
		WHERE id = 1 RETURNING generation`).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: bump publication generation: the generation row is missing")
	}
	return g, wrap("bump publication generation", err)
}
