-- account_api is the API fedimarks speaks to each account's server, chosen
-- at login: 'misskey' (Misskey's own: favorites, MiAuth) or 'mastodon'.
-- An account without a row (saved before it) speaks Mastodon's, as it
-- signed in with it: a Sharkey account signed in through its Mastodon API
-- keeps it until it logs in again.
CREATE TABLE IF NOT EXISTS account_api (
	handle TEXT PRIMARY KEY,
	api    TEXT NOT NULL
);
