package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"

	"github.com/fedimarks/fedimarks"
)

// loginTarget reads what login was given: a server (mastodon.social,
// https://host) or an account on one (alice@host, @alice@host, or the
// profile address https://host/@alice), whose server is then taken. user
// is the account's user name ("" for a server).
func loginTarget(arg string) (instance, user string) {
	s := strings.TrimSpace(arg)
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return s, ""
		}
		p := strings.Trim(u.Path, "/")
		name, ok := strings.CutPrefix(p, "@")
		if !ok {
			name, ok = strings.CutPrefix(p, "users/")
		}
		if !ok || name == "" || strings.ContainsAny(name, "/@") {
			return s, ""
		}
		return u.Scheme + "://" + u.Host, name
	}
	name, host, ok := strings.Cut(strings.TrimPrefix(s, "@"), "@")
	if !ok || name == "" || host == "" || strings.Contains(host, "@") {
		return s, ""
	}
	return host, name
}

// noteOtherAccount tells, after a login to server that named user, when
// the account signed in is another (the browser was signed in as
// someone else).
func (o loginDeps) noteOtherAccount(ctx context.Context, server, user string) {
	h := fedimarks.Handle(user + "@" + fedimarks.HostOf(server))
	ar, err := o.archive(ctx)
	if err != nil {
		return
	}
	if _, err := ar.Account(ctx, h); err == nil {
		return
	}
	fmt.Fprintf(o.errOut, "Note: that is not %s. To add %s, sign in as %s on %s in your browser, then run: fedimarks login %s\n",
		h, h, user, fedimarks.HostOf(server), h)
}

// loginReachError says, for a login that got no answer from server, what
// went wrong in plain words and what to check. A login has nothing to
// resume: run it again once fixed.
func loginReachError(server string, err error) error {
	msg, hint := reachCause(fedimarks.HostOf(server), err)
	return &fedimarks.Error{Code: fedimarks.EUnavailable, Message: msg, Hint: hint, Err: err}
}

// reachCause says in plain words why host gave no answer (err: the
// network's error under the client's retries) and what to check.
func reachCause(host string, err error) (msg, hint string) {
	var (
		dns      *net.DNSError
		remote   *fedimarks.RemoteError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		verify   *tls.CertificateVerificationError
		nerr     net.Error
	)
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		msg = "no server named " + strings.TrimSuffix(dns.Name, ".") + ": the name does not resolve"
		hint = "check the spelling of the server's name, the part after the @ in your handle"
	case errors.As(err, &dns):
		msg = "could not look up " + host + " (" + dns.Err + ")"
		hint = "check your internet connection and DNS settings"
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = host + " refused the connection"
		hint = "check the address and port; if they are right, the server is down"
	case errors.As(err, &hostname):
		msg = host + ": the secure connection (TLS) failed: its certificate is for another name (" + hostname.Error() + ")"
		hint = "check the address; a proxy or captive portal may be answering instead of the server (open https://" + host + " in a browser)"
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &verify):
		msg = host + ": the secure connection (TLS) failed: the server's certificate is not trusted (" + tlsCause(err) + ")"
		hint = "check the address; an expired or self-signed certificate is the server admin's to fix; a proxy or captive portal may be intercepting the connection"
	case errors.As(err, &record), errors.As(err, &alert):
		msg = host + ": the secure connection (TLS) failed (" + tlsCause(err) + ")"
		hint = "check the address and port: something there does not speak HTTPS"
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()):
		msg = host + " did not answer in time"
		hint = "check your internet connection, and that the server is up (open https://" + host + " in a browser)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		msg = host + " did not answer: it closed the connection without a word"
		hint = "the server is down or restarting; try again later"
	case errors.As(err, &remote) && remote.Status != "":
		msg = fmt.Sprintf("%s answered %s: the server is down or overloaded", host, strings.TrimSpace(remote.Status+" "+remote.Message))
		hint = "try again later"
	default:
		msg = host + " did not answer (" + tlsCause(err) + ")"
		hint = "check the address and your internet connection"
	}
	return msg, hint
}

// tlsCause is the innermost message of err: the cause, without the
// request it came from.
func tlsCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
