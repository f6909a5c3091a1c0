package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	fedimarks "github.com/fedimarks/fedimarks"
)

// SaveAccount inserts or updates the account with acc.Handle. A zero
// acc.LastBackup keeps the stored one. Tokens are never stored here.
func (a *Archive) SaveAccount(ctx context.Context, acc fedimarks.Account) error {
	if acc.Handle == "" {
		return fedimarks.Errorf(fedimarks.EInvalid, "save account: no handle")
	}
	now := fmtTime(a.now())
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
		INSERT INTO accounts (handle, account_id, server, scopes, software, token_store, last_backup, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (handle) DO UPDATE SET
			account_id = excluded.account_id,
			server = excluded.server,
			scopes = excluded.scopes,
			software = excluded.software,
			token_store = excluded.token_store,
			last_backup = coalesce(excluded.last_backup, accounts.last_backup),
			updated_at = excluded.updated_at`,
			string(acc.Handle), acc.ID, acc.Server, strings.Join(acc.Scopes, " "), acc.Software, acc.TokenStore,
			nullTime(acc.LastBackup), now, now)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO account_api (handle, api) VALUES (?, ?)
			ON CONFLICT (handle) DO UPDATE SET api = excluded.api`, string(acc.Handle), string(acc.Family()))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("save account %s: %w", acc.Handle, err)
	}
	return nil
}

// accountsFrom are the accounts with the API each speaks.
const (
	accountColumns = `handle, account_id, server, scopes, software, coalesce(api, ''), token_store, last_backup`
	accountsFrom   = `accounts LEFT JOIN account_api USING (handle)`
)

func scanAccount(sc interface{ Scan(...any) error }) (fedimarks.Account, error) {
	var (
		acc    fedimarks.Account
		handle string
		scopes string
		last   sql.NullString
		api    string
	)
	if err := sc.Scan(&handle, &acc.ID, &acc.Server, &scopes, &acc.Software, &api, &acc.TokenStore, &last); err != nil {
		return acc, err
	}
	acc.Handle = fedimarks.Handle(handle)
	acc.API = fedimarks.Family(api)
	acc.Scopes = strings.Fields(scopes)
	t, err := parseTime(last)
	acc.LastBackup = t
	return acc, err
}

// Account returns the signed-in account h, or an *fedimarks.Error with
// code ENotFound naming h.
func (a *Archive) Account(ctx context.Context, h fedimarks.Handle) (fedimarks.Account, error) {
	acc, err := scanAccount(a.r.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM `+accountsFrom+` WHERE handle = ?`, string(h)))
	if errors.Is(err, sql.ErrNoRows) {
		return fedimarks.Account{}, fedimarks.Errorf(fedimarks.ENotFound, "no signed-in account %s", h)
	}
	if err != nil {
		return fedimarks.Account{}, fmt.Errorf("read account %s: %w", h, err)
	}
	return acc, nil
}

// Accounts returns the signed-in accounts sorted by handle.
func (a *Archive) Accounts(ctx context.Context) ([]fedimarks.Account, error) {
	rows, err := a.r.QueryContext(ctx, `SELECT `+accountColumns+` FROM `+accountsFrom+` ORDER BY handle`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var accs []fedimarks.Account
	for rows.Next() {
		acc, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		accs = append(accs, acc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return accs, nil
}

// DeleteAccount forgets that h is signed in; its archived bookmarks, runs
// and history stay. It returns an ENotFound *fedimarks.Error if h was not
// signed in.
func (a *Archive) DeleteAccount(ctx context.Context, h fedimarks.Handle) error {
	res, err := a.w.ExecContext(ctx, `DELETE FROM accounts WHERE handle = ?`, string(h))
	if err != nil {
		return fmt.Errorf("delete account %s: %w", h, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fedimarks.Errorf(fedimarks.ENotFound, "no signed-in account %s", h)
	}
	return nil
}

func appKey(server string) string { return strings.TrimRight(server, "/") }

// SaveApp inserts or replaces the app registered on app.Server.
func (a *Archive) SaveApp(ctx context.Context, app fedimarks.App) error {
	if appKey(app.Server) == "" || app.ClientID == "" {
		return fedimarks.Errorf(fedimarks.EInvalid, "save app: server and client id are required")
	}
	if app.CreatedAt.IsZero() {
		app.CreatedAt = a.now()
	}
	_, err := a.w.ExecContext(ctx, `
		INSERT INTO apps (server, client_id, client_secret, redirect_uri, scopes, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (server) DO UPDATE SET
			client_id = excluded.client_id,
			client_secret = excluded.client_secret,
			redirect_uri = excluded.redirect_uri,
			scopes = excluded.scopes,
			created_at = excluded.created_at`,
		appKey(app.Server), app.ClientID, app.ClientSecret, app.RedirectURI, app.Scopes, fmtTime(app.CreatedAt))
	if err != nil {
		return fmt.Errorf("save app for %s: %w", appKey(app.Server), err)
	}
	return nil
}

// App returns the app registered on server, or nil and no error if none is.
func (a *Archive) App(ctx context.Context, server string) (*fedimarks.App, error) {
	var (
		app     fedimarks.App
		created sql.NullString
	)
	err := a.r.QueryRowContext(ctx, `SELECT server, client_id, client_secret, redirect_uri, scopes, created_at FROM apps WHERE server = ?`,
		appKey(server)).Scan(&app.Server, &app.ClientID, &app.ClientSecret, &app.RedirectURI, &app.Scopes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read app for %s: %w", appKey(server), err)
	}
	if app.CreatedAt, err = parseTime(created); err != nil {
		return nil, fmt.Errorf("read app for %s: %w", appKey(server), err)
	}
	return &app, nil
}

// DeleteApp forgets the app registered on server; it is not an error if
// there was none.
func (a *Archive) DeleteApp(ctx context.Context, server string) error {
	if _, err := a.w.ExecContext(ctx, `DELETE FROM apps WHERE server = ?`, appKey(server)); err != nil {
		return fmt.Errorf("delete app for %s: %w", appKey(server), err)
	}
	return nil
}
