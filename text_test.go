package fedimarks

import (
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"eve\x1b[2J\x1b]0;owned\x07": "eve [2J ]0;owned",
		"  a\tb\r\nc  ":              "a b c",
		"line\u2028sep\u2029para":    "line sep para",
		"csi\u009b31m c1":            "csi 31m c1",
		"del\x7f":                    "del",
		"bad \xff byte":              "bad byte",
		"\u202egnp.exe\u202c":        "gnp.exe",
		"isolate \u2067x\u2069":      "isolate x",
		"👩\u200d💻 and ZWNJ a\u200cb": "👩\u200d💻 and ZWNJ a\u200cb",
		"":                           "",
		"plain":                      "plain",
	} {
		if got := CleanText(in); got != want {
			t.Errorf("CleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	const tok = "s3cr3t-T0KEN-value"
	for _, tc := range []struct{ in, want string }{
		{"The access token " + tok + " is invalid", "The access token [token] is invalid"},
		// Invisible characters inside the token do not hide it from
		// redaction: a terminal would show the token whole.
		{"token s3cr3t\u200b-T0KEN-value here", "token [token] here"},
		{"s\u00ad3\u2060cr3t-T0KEN\ufeff-value", "[token]"},
		{"s3cr3t\x00-T0KEN-val\x07ue!", "[token]!"},
		// So do escape sequences, which a terminal does not show either.
		{"s3c\x1b[0mr3t-T0\x1b]0;title\x07KEN-\x1b]8;;\x1b\\val\u009b1mue", "[token]"},
		{"s3c\x1b[0;31mr3t-T0KEN-value \x1b[0m", "[token] \x1b[0m"},
		{"s3c\U000e0041r3t-T0KEN-value", "[token]"},
		// Invisible characters around it stay: they are not the token.
		{"\u200b" + tok + "\u200b", "\u200b[token]\u200b"},
		{tok + tok, "[token][token]"},
		{"S3CR3T-T0KEN-VALUE differs in case", "S3CR3T-T0KEN-VALUE differs in case"},
		{"s3cr3t T0KEN-value has a space", "s3cr3t T0KEN-value has a space"},
		{"nothing secret", "nothing secret"},
	} {
		if got := Redact(tc.in, []string{tok}, "[token]"); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Redact("a-first-secret and a-second-secret", []string{"a-first-secret", "a-second-secret", ""}, "*"); got != "* and *" {
		t.Errorf("two secrets: %q", got)
	}
	// Overlapping secrets merge into one mark.
	if got := Redact("xx abcdefgh-ijkl yy", []string{"abcdefgh", "defgh-ijkl"}, "*"); got != "xx * yy" {
		t.Errorf("overlapping secrets: %q", got)
	}
}

func TestParseHandleRefusesInvisibleAndControlCharacters(t *testing.T) {
	for _, s := range []string{"eve\x1b[2J@example.org", "eve\u200b@example.org", "eve@exa\x07mple.org", "e\u202eve@example.org"} {
		if h, err := ParseHandle(s); err == nil {
			t.Errorf("ParseHandle(%q) = %q, want an error", s, h)
		} else if strings.ContainsAny(err.Error(), "\x1b\x07\u200b\u202e") {
			t.Errorf("ParseHandle(%q) error %q holds the raw characters", s, err)
		}
	}
	if h, err := ParseHandle("zoë@example.org"); err != nil || h != "zoë@example.org" {
		t.Errorf("ParseHandle(zoë@example.org) = %q, %v", h, err)
	}
}

func TestCleanLines(t *testing.T) {
	in := "line one\x1b[2J\r\n\tline two\u009b\u202e\x07"
	if got, want := CleanLines(in), "line one [2J \n\tline two  "; got != want {
		t.Errorf("CleanLines(%q) = %q, want %q", in, got, want)
	}
	if s := "plain\ntext"; CleanLines(s) != s {
		t.Errorf("CleanLines changed %q", s)
	}
}
