package fedimarks

import "testing"

// TestParseStatusMentions: a status's mentions are read with it (the
// search index needs them, and reading the raw JSON again for them cost a
// backup a tenth of its time); a list of another shape leaves the status
// readable, without mentions.
func TestParseStatusMentions(t *testing.T) {
	s, err := ParseStatus([]byte(`{"id":"1","uri":"https://a.example/s/1","mentions":[{"acct":"bob@b.example","url":"https://b.example/@bob","id":"9"}],
		"reblog":{"id":"2","uri":"https://c.example/s/2","mentions":[{"acct":"carol","url":"https://c.example/@carol"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Mentions) != 1 || s.Mentions[0] != (Mention{Acct: "bob@b.example", URL: "https://b.example/@bob"}) {
		t.Errorf("mentions %+v", s.Mentions)
	}
	if o := s.Original(); len(o.Mentions) != 1 || o.Mentions[0].Acct != "carol" {
		t.Errorf("the boosted post's mentions %+v", o.Mentions)
	}
	s, err = ParseStatus([]byte(`{"id":"1","uri":"https://a.example/s/1","mentions":["9xk2", 7]}`))
	if err != nil || s.Mentions != nil {
		t.Errorf("odd mentions: %+v, %v", s.Mentions, err)
	}
}
