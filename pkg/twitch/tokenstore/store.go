// Package tokenstore keeps the deployment's Twitch grants (the broadcaster's and the
// optional bot account's tokens) in PostgreSQL, sealed with AES-256-GCM under a key
// from the environment (MGM_TOKEN_KEY), and shared by every service and replica
// (docs/product.md §12). A refresh happens under the grant's row lock, so when several
// replicas find the token expiring at once only one asks Twitch and the others use its
// result; a rotated refresh token is written in the same transaction. A grant Twitch
// refused is marked, so nobody asks Twitch again until someone logs in.
package tokenstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mimiron/mgm/pkg/db"
	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/twitch/oauth"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the store's own PostgreSQL schema (twitch_auth) and its migrations.
var Schema = db.Schema{Name: "twitch_auth", Files: migrations}

// Errors.
var (
	// ErrKeyMissing: tokens are stored but MGM_TOKEN_KEY is not set.
	ErrKeyMissing = errors.New("Twitch tokens are stored in the database but MGM_TOKEN_KEY is not set: set it to the key they were stored with")
	// ErrWrongKey: MGM_TOKEN_KEY is not the key the tokens were stored with.
	ErrWrongKey = errors.New("MGM_TOKEN_KEY does not open the stored Twitch tokens: it is not the key they were stored with")
	// ErrNotLoggedIn: no grant for the role.
	ErrNotLoggedIn = errors.New("not logged in")
)

// Grant is one account's tokens and what Twitch last said about them.
type Grant struct {
	Role        oauth.Role
	UserID      string
	Login       string
	Access      string
	Refresh     string
	Scopes      []string
	ExpiresAt   time.Time // zero: unknown
	ValidatedAt time.Time // zero: never
	Problem     string    // non-empty: Twitch refused the grant; log in again
	Version     int64
	UpdatedAt   time.Time
}

// Account is what status and the scope check need, without the secrets.
func (g Grant) Account() *oauth.Account {
	return &oauth.Account{UserID: g.UserID, Login: g.Login, Scopes: append([]string(nil), g.Scopes...)}
}

// Store is the grants table. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	own  bool
	aead cipher.AEAD // nil without a key
	now  func() time.Time
}

// Open connects to url, applies the store's migrations and checks key (base64 of 32
// bytes, or "" when none is configured): without a key the store refuses to open when
// tokens are stored; with one it must be the key they were stored with.
func Open(ctx context.Context, url, key string) (*Store, error) {
	pool, err := Schema.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("twitch token store: %w", err)
	}
	s := &Store{pool: pool, own: true, now: time.Now}
	if err := s.init(ctx, key); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the store's connections.
func (s *Store) Close() {
	if s.own {
		s.pool.Close()
	}
}

// Pool is the store's connection pool (the WebSocket lease holds one of its
// connections).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// HasKey reports whether tokens can be written.
func (s *Store) HasKey() bool { return s.aead != nil }

// ParseKey reads MGM_TOKEN_KEY: base64 (standard or URL alphabet, padded or not) of
// exactly 32 bytes.
func ParseKey(v string) ([]byte, error) {
	b, err := decodeKey(v)
	if err != nil {
		return nil, fmt.Errorf("MGM_TOKEN_KEY is unusable: %v; make one with: openssl rand -base64 32", err)
	}
	return b, nil
}

// NewKey makes a fresh MGM_TOKEN_KEY value.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

const keyCheckText = "mgm twitch token key check"

func (s *Store) init(ctx context.Context, key string) error {
	if key == "" {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM grants`).Scan(&n); err != nil {
			return fmt.Errorf("twitch token store: %w", err)
		}
		if n > 0 {
			return ErrKeyMissing
		}
		return nil
	}
	raw, err := ParseKey(key)
	if err != nil {
		return err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return err
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return err
	}
	sealed, err := s.seal("key_check", "", keyCheckText)
	if err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, sealed); err != nil {
		return fmt.Errorf("twitch token store: %w", err)
	}
	var stored []byte
	if err := s.pool.QueryRow(ctx, `SELECT sealed FROM key_check WHERE id = 1`).Scan(&stored); err != nil {
		return fmt.Errorf("twitch token store: %w", err)
	}
	if got, err := s.open("key_check", "", stored); err != nil || got != keyCheckText {
		return ErrWrongKey
	}
	return nil
}

// seal encrypts v; the additional data binds the ciphertext to its role and column, so
// a value copied into another row or column does not open.
func (s *Store) seal(role oauth.Role, field, v string) ([]byte, error) {
	if s.aead == nil {
		return nil, ErrKeyMissing
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, []byte(v), aad(role, field)), nil
}

func (s *Store) open(role oauth.Role, field string, b []byte) (string, error) {
	if s.aead == nil {
		return "", ErrKeyMissing
	}
	n := s.aead.NonceSize()
	if len(b) < n {
		return "", ErrWrongKey
	}
	out, err := s.aead.Open(nil, b[:n], b[n:], aad(role, field))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(out), nil
}

func aad(role oauth.Role, field string) []byte {
	return []byte("mgm-twitch:" + string(role) + ":" + field)
}

const columns = `role, user_id, login, access_enc, refresh_enc, scopes, expires_at, validated_at, problem, version, updated_at`

func (s *Store) scan(row pgx.Row) (Grant, error) {
	var g Grant
	var role string
	var access, refresh []byte
	var expires, validated *time.Time
	if err := row.Scan(&role, &g.UserID, &g.Login, &access, &refresh, &g.Scopes, &expires, &validated, &g.Problem, &g.Version, &g.UpdatedAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Grant{}, ErrNotLoggedIn
		}
		return Grant{}, err
	}
	g.Role = oauth.Role(role)
	if expires != nil {
		g.ExpiresAt = *expires
	}
	if validated != nil {
		g.ValidatedAt = *validated
	}
	var err error
	if g.Access, err = s.open(g.Role, "access", access); err != nil {
		return Grant{}, err
	}
	if g.Refresh, err = s.open(g.Role, "refresh", refresh); err != nil {
		return Grant{}, err
	}
	return g, nil
}

// Save stores a fresh login for g.Role, replacing any earlier grant and clearing its
// problem.
func (s *Store) Save(ctx context.Context, g Grant) (Grant, error) {
	access, err := s.seal(g.Role, "access", g.Access)
	if err != nil {
		return Grant{}, err
	}
	refresh, err := s.seal(g.Role, "refresh", g.Refresh)
	if err != nil {
		return Grant{}, err
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO grants (role, user_id, login, access_enc, refresh_enc, scopes, expires_at, validated_at, problem, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', 1, now())
		ON CONFLICT (role) DO UPDATE SET user_id = EXCLUDED.user_id, login = EXCLUDED.login, access_enc = EXCLUDED.access_enc,
			refresh_enc = EXCLUDED.refresh_enc, scopes = EXCLUDED.scopes, expires_at = EXCLUDED.expires_at,
			validated_at = EXCLUDED.validated_at, problem = '', version = grants.version + 1, updated_at = now()
		RETURNING `+columns,
		string(g.Role), g.UserID, g.Login, access, refresh, nonNil(g.Scopes), timeOrNil(g.ExpiresAt), timeOrNil(g.ValidatedAt))
	return s.scan(row)
}

// Get reads role's grant (ErrNotLoggedIn when there is none).
func (s *Store) Get(ctx context.Context, role oauth.Role) (Grant, error) {
	return s.scan(s.pool.QueryRow(ctx, `SELECT `+columns+` FROM grants WHERE role = $1`, string(role)))
}

// List reads every grant, broadcaster first.
func (s *Store) List(ctx context.Context) ([]Grant, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM grants ORDER BY role`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		g, err := s.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Delete forgets role's grant.
func (s *Store) Delete(ctx context.Context, role oauth.Role) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM grants WHERE role = $1`, string(role))
	return err
}

// Refresh renews role's grant once for everyone: under the row lock, when the stored
// access token is still seen (the one the caller found expiring or refused), it calls
// renew with the refresh token and stores the result — the rotated refresh token
// included — before the lock is released. When another replica already replaced seen,
// its grant is returned without asking Twitch. A refusal (oauth.ErrInvalidGrant) is
// stored as the grant's problem and returned; a grant with a problem is returned with
// an errs.Unauthorized error without asking Twitch again.
//
// The refresh does not end with the caller's context: once the token endpoint may have
// answered, Twitch has issued the new grant and, rotating, spent the old refresh token,
// so the answer is awaited and stored whatever the caller's deadline (bounded by
// refreshTimeout).
func (s *Store) Refresh(ctx context.Context, role oauth.Role, seen string, renew func(ctx context.Context, refresh string) (oauth.Token, error)) (Grant, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
	defer cancel()
	var out Grant
	var refused error
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		refused = nil
		g, err := s.scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM grants WHERE role = $1 FOR UPDATE`, string(role)))
		if err != nil {
			return err
		}
		out = g
		if g.Problem != "" || g.Access != seen {
			return nil
		}
		tok, err := renew(ctx, g.Refresh)
		if errors.Is(err, oauth.ErrInvalidGrant) {
			problem := "Twitch refused the " + string(role) + " account's refresh token (the authorisation was revoked, the password changed, or the token was spent): log in again with `mgm twitch login`"
			_, uerr := tx.Exec(ctx, `UPDATE grants SET problem = $2, version = version + 1, updated_at = now() WHERE role = $1`, string(role), problem)
			out.Problem, out.Version = problem, g.Version+1
			refused = err
			return uerr
		}
		if err != nil {
			return err
		}
		g.Access, g.Refresh = tok.Access, tok.Refresh
		if len(tok.Scopes) > 0 {
			g.Scopes = tok.Scopes
		}
		g.ExpiresAt = time.Time{}
		if tok.ExpiresIn > 0 {
			g.ExpiresAt = s.now().Add(tok.ExpiresIn)
		}
		access, err := s.seal(role, "access", g.Access)
		if err != nil {
			return err
		}
		refresh, err := s.seal(role, "refresh", g.Refresh)
		if err != nil {
			return err
		}
		out, err = s.scan(tx.QueryRow(ctx, `UPDATE grants SET access_enc = $2, refresh_enc = $3, scopes = $4, expires_at = $5,
			version = version + 1, updated_at = now() WHERE role = $1 RETURNING `+columns,
			string(role), access, refresh, nonNil(g.Scopes), timeOrNil(g.ExpiresAt)))
		return err
	})
	if err != nil {
		return Grant{}, err
	}
	if refused != nil {
		return out, errs.Wrap(errs.Unauthorized, refused, "%s", out.Problem)
	}
	if out.Problem != "" {
		return out, errs.E(errs.Unauthorized, "%s", out.Problem)
	}
	return out, nil
}

// Validated records what /oauth2/validate said of role's token seen; nothing changes
// when the grant has moved on to another token.
func (s *Store) Validated(ctx context.Context, role oauth.Role, seen string, v oauth.Validation) error {
	return s.update(ctx, role, seen, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE grants SET user_id = $2, login = $3, scopes = $4, expires_at = $5, validated_at = $6,
			updated_at = now() WHERE role = $1`,
			string(role), v.UserID, v.Login, nonNil(v.Scopes), s.now().Add(v.ExpiresIn), s.now())
		return err
	})
}

// SetProblem marks role's grant (still holding seen) as refused by Twitch.
func (s *Store) SetProblem(ctx context.Context, role oauth.Role, seen, problem string) error {
	return s.update(ctx, role, seen, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE grants SET problem = $2, version = version + 1, updated_at = now() WHERE role = $1`, string(role), problem)
		return err
	})
}

func (s *Store) update(ctx context.Context, role oauth.Role, seen string, fn func(pgx.Tx) error) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		g, err := s.scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM grants WHERE role = $1 FOR UPDATE`, string(role)))
		if err != nil {
			return err
		}
		if g.Access != seen {
			return nil
		}
		return fn(tx)
	})
}

// refreshTimeout bounds a refresh: the token endpoint's answer and storing it.
const refreshTimeout = 30 * time.Second

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
