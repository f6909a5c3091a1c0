package mastodon

import (
	"strings"
)

// parseLink parses RFC 8288 Link header values into a map from relation
// type (lower-cased) to target as written. A link with several relation
// types ("next last") is listed under each; the first link of a relation
// wins. Commas and semicolons inside <...> and quoted strings are handled.
func parseLink(values []string) map[string]string {
	links := map[string]string{}
	for _, v := range values {
		for len(v) > 0 {
			lt := strings.IndexByte(v, '<')
			if lt < 0 {
				break
			}
			gt := strings.IndexByte(v[lt+1:], '>')
			if gt < 0 {
				break
			}
			target := strings.TrimSpace(v[lt+1 : lt+1+gt])
			v = v[lt+1+gt+1:]
			params, rest := splitLinkParams(v)
			v = rest
			for _, rel := range strings.Fields(params["rel"]) {
				rel = strings.ToLower(rel)
				if _, ok := links[rel]; !ok {
					links[rel] = target
				}
			}
		}
	}
	return links
}

// splitLinkParams reads ";name=value" parameters up to the comma that ends
// one link-value, returning them (names lower-cased, quotes removed) and
// the rest of the header.
func splitLinkParams(s string) (map[string]string, string) {
	params := map[string]string{}
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return params, ""
		}
		if s[i] == ',' {
			return params, s[i+1:]
		}
		if s[i] != ';' {
			// Junk before the next link: skip to the next comma.
			j := strings.IndexByte(s[i:], ',')
			if j < 0 {
				return params, ""
			}
			return params, s[i+j+1:]
		}
		i = skipSpace(s, i+1)
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ';' && s[i] != ',' {
			i++
		}
		name := strings.ToLower(strings.TrimSpace(s[start:i]))
		var value string
		if i < len(s) && s[i] == '=' {
			value, i = paramValue(s, skipSpace(s, i+1))
		}
		if _, ok := params[name]; !ok && name != "" {
			params[name] = value
		}
	}
}

// skipSpace returns the index of the first byte of s from i on that is
// not a space or a tab.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// paramValue reads the parameter value starting at s[i], a quoted string
// (its backslash escapes undone) or a token up to the next ";" or ",",
// and returns it and the index after it.
func paramValue(s string, i int) (string, int) {
	if i < len(s) && s[i] == '"' {
		i++
		var b strings.Builder
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
			i++
		}
		if i < len(s) {
			i++ // closing quote
		}
		return b.String(), i
	}
	start := i
	for i < len(s) && s[i] != ';' && s[i] != ',' {
		i++
	}
	return strings.TrimSpace(s[start:i]), i
}
