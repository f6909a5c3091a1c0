package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/fedimarks/fedimarks"
)

func init() {
	Register(Format{
		Name:        "json",
		Description: "JSON array of {account, first_seen, last_seen, removed_at, [tags, note, folder,] status}, the status as the server sent it",
		Extension:   ".json",
		MediaType:   "application/json",
		New: func(w io.Writer, _ Meta) Encoder {
			return &jsonEncoder{w: bufio.NewWriter(w), array: true}
		},
	})
	Register(Format{
		Name:        "jsonl",
		Description: "JSON Lines: one {account, first_seen, last_seen, removed_at, [tags, note, folder,] status} object a line",
		Extension:   ".jsonl",
		MediaType:   "application/jsonl",
		New: func(w io.Writer, _ Meta) Encoder {
			return &jsonEncoder{w: bufio.NewWriter(w)}
		},
	})
}

// jsonEncoder writes the json format (array true: a JSON array streamed one
// element at a time, one element a line, indented by two spaces) or jsonl
// (one object a line). The status is the raw JSON the server sent, made
// compact (whitespace only: no field is dropped, reordered or re-escaped).
type jsonEncoder struct {
	w      *bufio.Writer
	array  bool
	n      int
	buf    bytes.Buffer
	err    stickyErr
	closed bool
}

func (e *jsonEncoder) Encode(b fedimarks.Bookmark) error {
	if e.closed {
		return errClosed
	}
	if e.err.err != nil {
		return e.err.err
	}
	e.buf.Reset()
	if err := appendBookmarkJSON(&e.buf, b); err != nil {
		return err // this bookmark only; the output is still sound
	}
	if e.array {
		if e.n == 0 {
			e.w.WriteString("[\n  ")
		} else {
			e.w.WriteString(",\n  ")
		}
	}
	e.n++
	e.w.Write(e.buf.Bytes())
	var err error
	if !e.array {
		err = e.w.WriteByte('\n')
	}
	return e.err.set(err)
}

func (e *jsonEncoder) Close() error {
	if e.closed {
		return e.err.err
	}
	e.closed = true
	if e.err.err != nil {
		return e.err.err
	}
	if e.array {
		if e.n == 0 {
			e.w.WriteString("[]\n")
		} else {
			e.w.WriteString("\n]\n")
		}
	}
	return e.err.set(e.w.Flush())
}

// appendBookmarkJSON writes b as one compact JSON object to buf.
func appendBookmarkJSON(buf *bytes.Buffer, b fedimarks.Bookmark) error {
	account, _ := json.Marshal(b.Account)
	buf.WriteString(`{"account":`)
	buf.Write(account)
	buf.WriteString(`,"first_seen":`)
	buf.WriteString(jsonTime(b.FirstSeen))
	buf.WriteString(`,"last_seen":`)
	buf.WriteString(jsonTime(b.LastSeen))
	buf.WriteString(`,"removed_at":`)
	if b.RemovedAt == nil {
		buf.WriteString("null")
	} else {
		buf.WriteString(jsonTime(*b.RemovedAt))
	}
	appendLabelsJSON(buf, b)
	if b.Status.Server != "" {
		// The server that returned status: an acct without a host in it
		// is local to that server, which need not be the account's.
		server, _ := json.Marshal(b.Status.Server)
		buf.WriteString(`,"server":`)
		buf.Write(server)
	}
	buf.WriteString(`,"status":`)
	raw := []byte(b.Status.Raw)
	if len(bytes.TrimSpace(raw)) == 0 {
		var err error
		if raw, err = synthStatus(b.Status); err != nil {
			return fmt.Errorf("encode status %s: %w", b.Status.ID, err)
		}
	}
	if err := json.Compact(buf, raw); err != nil {
		return fmt.Errorf("encode status %s: stored JSON: %w", b.Status.ID, err)
	}
	buf.WriteByte('}')
	return nil
}

// jsonTime is t as a quoted RFC 3339 time in UTC (with fractional seconds
// when t has them), or null for the zero time.
func jsonTime(t time.Time) string {
	if t.IsZero() {
		return "null"
	}
	return `"` + t.UTC().Format(time.RFC3339Nano) + `"`
}

// synthStatus builds a Mastodon-shaped status object from the fields of s,
// for a Status that was made in code rather than read from a server and so
// has no Raw. Only fields that s really holds are written.
func synthStatus(s fedimarks.Status) ([]byte, error) {
	type account struct {
		ID          string `json:"id,omitempty"`
		Username    string `json:"username,omitempty"`
		Acct        string `json:"acct,omitempty"`
		DisplayName string `json:"display_name,omitempty"`
		URL         string `json:"url,omitempty"`
	}
	type tag struct {
		Name string `json:"name"`
	}
	type media struct {
		ID          string `json:"id,omitempty"`
		Type        string `json:"type,omitempty"`
		URL         string `json:"url,omitempty"`
		PreviewURL  string `json:"preview_url,omitempty"`
		RemoteURL   string `json:"remote_url,omitempty"`
		Description string `json:"description,omitempty"`
	}
	type status struct {
		ID          string          `json:"id"`
		URI         string          `json:"uri"`
		URL         string          `json:"url,omitempty"`
		CreatedAt   string          `json:"created_at,omitempty"`
		Account     account         `json:"account"`
		Content     string          `json:"content"`
		SpoilerText string          `json:"spoiler_text"`
		Language    string          `json:"language,omitempty"`
		Visibility  string          `json:"visibility,omitempty"`
		Sensitive   bool            `json:"sensitive"`
		Media       []media         `json:"media_attachments"`
		Tags        []tag           `json:"tags"`
		Reblog      json.RawMessage `json:"reblog"`
	}
	out := status{
		ID: s.ID, URI: s.URI, URL: s.URL, Content: s.Content, SpoilerText: s.SpoilerText,
		Language: s.Language, Visibility: s.Visibility, Sensitive: s.Sensitive,
		Account: account{ID: s.Account.ID, Username: s.Account.Username, Acct: s.Account.Acct,
			DisplayName: s.Account.DisplayName, URL: s.Account.URL},
		Media: []media{}, Tags: []tag{}, Reblog: json.RawMessage("null"),
	}
	if !s.CreatedAt.IsZero() {
		out.CreatedAt = s.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	for _, m := range s.Media {
		out.Media = append(out.Media, media{m.ID, m.Type, m.URL, m.PreviewURL, m.RemoteURL, m.Description})
	}
	for _, t := range s.Tags {
		out.Tags = append(out.Tags, tag{t})
	}
	if s.Reblog != nil {
		raw := []byte(s.Reblog.Raw)
		if len(bytes.TrimSpace(raw)) == 0 {
			var err error
			if raw, err = synthStatus(*s.Reblog); err != nil {
				return nil, err
			}
		}
		out.Reblog = raw
	}
	return json.Marshal(out)
}
