package mastodontest

import (
	"net/http"
	"testing"
)

// A Sandbox runs the fake outside a test and stops every server on Close.
func TestSandboxClose(t *testing.T) {
	n, sb := NewSandbox()
	inst := n.NewInstance(InstanceOptions{})
	alice := inst.AddAccount("alice")
	st := alice.Post(PostOptions{})
	resp, err := http.Get(st.URL())
	if err != nil {
		t.Fatalf("before Close: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("before Close: %s", resp.Status)
	}
	sb.Close()
	sb.Close() // twice is harmless
	if resp, err := http.Get(st.URL()); err == nil {
		resp.Body.Close()
		t.Fatalf("after Close the server still answers: %s", resp.Status)
	}
}

// Fatalf outside a test is a bug in the setup: it panics with the message.
func TestSandboxFatalfPanics(t *testing.T) {
	n, sb := NewSandbox()
	defer sb.Close()
	alice := n.NewInstance(InstanceOptions{}).AddAccount("alice")
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("a bad visibility did not panic")
		}
	}()
	alice.Post(PostOptions{Visibility: "secret"})
}
