package sqlite

import "github.com/fedimarks/fedimarks"

// parseStored parses a stored status's raw JSON and sets where it came
// from: host, the server that returned this copy (statuses.host), to
// which an author's acct without a host is local.
func parseStored(raw []byte, host string) (fedimarks.Status, error) {
	s, err := fedimarks.ParseStatus(raw)
	s.Server = host
	return s, err
}
