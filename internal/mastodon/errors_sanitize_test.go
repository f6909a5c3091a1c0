package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServerErrorTextCannotDriveTheTerminal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"bad\u001b[31mRED\u001b]0;owned\u0007\nSECOND LINE\u2028third\u0085","error_description":"x\ry"}`))
	}))
	defer srv.Close()
	c := New(Options{Server: srv.URL, Token: "tok-123456789"})
	_, err := c.VerifyCredentials(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, r := range msg {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' {
			t.Fatalf("error %q holds control character %U", msg, r)
		}
	}
	if !strings.Contains(msg, "bad [31mRED ]0;owned SECOND LINE third") {
		t.Errorf("error %q lost the visible text", msg)
	}
	var api *APIError
	if !errors.As(err, &api) {
		t.Fatalf("%v is no *APIError", err)
	}
	if api.Description != "x y" {
		t.Errorf("description %q", api.Description)
	}
}
