package formats

import (
	"strings"
	"testing"
)

// TestJSONDocumentShapes reads JSON documents through the scanner that
// walks their outer levels: broken punctuation is an error naming the
// item and the byte (counted from 1), an item too long is a bad row and
// the reading goes on, blanks anywhere cost nothing.
func TestJSONDocumentShapes(t *testing.T) {
	const a, b = "https://a.example/users/ann/statuses/1", "https://b.example/@bo/2"
	long := `"https://c.example/` + strings.Repeat("x", maxJSONLine) + `"`
	for _, c := range []struct {
		name, input string
		uris        []string // "" for a bad row
		problems    []string
		err         string
	}{
		{name: "blanks everywhere", input: " \r\n\t[ \n{ \"status\" : {\"uri\":\"" + a + "\"} } ,\n\t\"" + b + "\" \n] \n", uris: []string{a, b}},
		{name: "an empty array", input: "[ ]", err: ""},
		{name: "no comma", input: `["` + a + `" "` + b + `"]`, err: `x.json: broken JSON at the end of item 1 (byte 43): expected "," or "]", found "\""`},
		{name: "a comma too many", input: `["` + a + `",]`, err: `x.json: broken JSON at item 2 (byte 43): invalid character ']' looking for beginning of value`},
		{name: "cut in a string", input: `["` + a, err: "x.json: the JSON ends early, at item 1"},
		{name: "not closed", input: `["` + a + `"`, err: "x.json: the JSON ends early, at the end of item 1"},
		{name: "an item too long", input: `[` + long + `,"` + a + `"]`, uris: []string{"", a}, problems: []string{"x.json:item 1: item longer than 16 MiB"}},
		{name: "collection", input: `{"type":"OrderedCollection", "totalItems": 2, "orderedItems": ["` + a + `", {"id":"` + b + `"}], "next": null}`, uris: []string{a, b}},
		{name: "collection key not a string", input: `{type:"OrderedCollection"}`, err: "x.json: broken JSON at byte 2: expected a key"},
		{name: "collection without colon", input: `{"orderedItems" ["` + a + `"]}`, err: `x.json: broken JSON at "orderedItems" (byte 17): expected ":", found "["`},
		{name: "collection items not a list", input: `{"orderedItems":"` + a + `"}`, err: `x.json: "orderedItems" is not a list`},
		{name: "collection with a broken value", input: `{"summary":{"a":tru},"orderedItems":[]}`, err: `x.json: broken JSON at "summary" (byte 20): invalid character '}' in literal true (expecting 'e')`},
		{name: "collection cut", input: `{"orderedItems":["` + a + `"]`, err: "x.json: the JSON ends early, at the end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Read(t.Context(), "x.json", strings.NewReader(c.input))
			if c.err != "" || err != nil {
				if err == nil || !strings.HasPrefix(err.Error(), c.err) || c.err == "" {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			var uris, problems []string
			for _, it := range res.Items {
				if it.Invalid != "" {
					uris = append(uris, "")
				} else {
					uris = append(uris, it.URI)
				}
			}
			for _, p := range res.Problems {
				problems = append(problems, p.String())
			}
			if strings.Join(uris, " ") != strings.Join(c.uris, " ") || strings.Join(problems, "\n") != strings.Join(c.problems, "\n") {
				t.Errorf("uris %q, problems %q; want %q, %q", uris, problems, c.uris, c.problems)
			}
		})
	}
}
