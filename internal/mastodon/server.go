package mastodon

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/fedimarks/fedimarks"
)

// NormalizeServer turns what a person typed for an instance into a base
// URL: "mastodon.social" -> "https://mastodon.social", "https://host/" ->
// "https://host". The host is lower-cased (an international name is kept
// in Unicode; Go's HTTP client sends it as punycode), a non-default port is
// kept, a default one dropped.
//
// Plain "http://" is accepted only when the host is a loopback IP or
// resolves (net.DefaultResolver) only to loopback addresses: it exists for
// testing against a local server. Paths, queries, fragments, user info,
// other schemes and malformed hosts are refused. Every refusal is a
// *fedimarks.Error with code EInvalid.
func NormalizeServer(ctx context.Context, instance string) (string, error) {
	in := strings.TrimSpace(instance)
	u, err := parseServer(in)
	if err != nil {
		return "", err
	}
	scheme := strings.ToLower(u.Scheme)
	if err := onlyServer(in, u, scheme); err != nil {
		return "", err
	}
	port, err := serverPort(in, u, scheme)
	if err != nil {
		return "", err
	}
	host, hostport, err := serverHost(in, u.Hostname())
	if err != nil {
		return "", err
	}
	if port != "" {
		hostport += ":" + port
	}
	if scheme == "http" && !loopback(ctx, host) {
		return "", &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: "server " + strconv.Quote(in) + ": plain http is only for loopback testing (127.0.0.1, ::1, localhost)",
			Hint:    "use https://" + hostport}
	}
	return scheme + "://" + hostport, nil
}

// parseServer parses in, the trimmed text a person typed, as a URL, with
// https:// when it names no scheme.
func parseServer(in string) (*url.URL, error) {
	if in == "" {
		return nil, fedimarks.Errorf(fedimarks.EInvalid, "no server given: expected a host name such as mastodon.social")
	}
	raw := in
	if !strings.Contains(raw, "://") {
		if strings.Contains(raw, "@") {
			return nil, &fedimarks.Error{Code: fedimarks.EInvalid,
				Message: "server " + strconv.Quote(in) + " looks like an account, not a server",
				Hint:    "give the host name only, such as mastodon.social"}
		}
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: "server " + strconv.Quote(in) + " is not a valid address", Err: err}
	}
	return u, nil
}

// onlyServer refuses a URL that is more than a server: another scheme
// than http(s), no host, user info, a path, a query or a fragment.
func onlyServer(in string, u *url.URL, scheme string) error {
	if scheme != "https" && scheme != "http" {
		return &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: "server " + strconv.Quote(in) + ": scheme " + strconv.Quote(u.Scheme) + " is not supported",
			Hint:    "use https://host or just the host name"}
	}
	if u.Opaque != "" || u.Host == "" {
		return fedimarks.Errorf(fedimarks.EInvalid, "server %q has no host name", in)
	}
	if u.User != nil {
		return fedimarks.Errorf(fedimarks.EInvalid, "server %q must not contain a user name or password", in)
	}
	if u.Path != "" && u.Path != "/" {
		return &fedimarks.Error{Code: fedimarks.EInvalid,
			Message: "server " + strconv.Quote(in) + " must not contain a path",
			Hint:    "give the host name only, such as " + u.Host}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(in, "#") {
		return fedimarks.Errorf(fedimarks.EInvalid, "server %q must not contain a query or fragment", in)
	}
	return nil
}

// serverPort is u's port as the base URL keeps it: none for the scheme's
// default port.
func serverPort(in string, u *url.URL, scheme string) (string, error) {
	if strings.HasSuffix(u.Host, ":") {
		return "", fedimarks.Errorf(fedimarks.EInvalid, "server %q has an empty port", in)
	}
	port := u.Port()
	if port == "" {
		return "", nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fedimarks.Errorf(fedimarks.EInvalid, "server %q has an invalid port", in)
	}
	if (scheme == "https" && n == 443) || (scheme == "http" && n == 80) {
		return "", nil
	}
	return strconv.Itoa(n), nil
}

// serverHost checks host, a name or an IP address without a zone, and
// returns it (a name lower-cased, without a final dot) and as a URL
// writes it (an IPv6 address in brackets).
func serverHost(in, host string) (checked, inURL string, err error) {
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if !validHostname(host) {
			return "", "", fedimarks.Errorf(fedimarks.EInvalid, "server %q has an invalid host name", in)
		}
		return host, host, nil
	case strings.Contains(host, "%"):
		return "", "", fedimarks.Errorf(fedimarks.EInvalid, "server %q: zoned IPv6 addresses are not supported", in)
	case ip.To4() == nil:
		return host, "[" + ip.String() + "]", nil
	default:
		return host, ip.String(), nil
	}
}

// loopback reports whether host is a loopback IP or resolves only to
// loopback addresses.
func loopback(ctx context.Context, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(addrs) == 0 {
		return false
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return false
		}
	}
	return true
}

// validHostname checks a DNS name loosely: dot-separated labels of
// letters, digits, '-' and '_' (non-ASCII letters allowed), none empty or
// longer than 63 bytes, not starting or ending with '-'.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			case r > 0x7f && unicode.IsLetter(r) || r > 0x7f && unicode.IsDigit(r) || r > 0x7f && unicode.Is(unicode.Mn, r):
			default:
				return false
			}
		}
	}
	return true
}
