package fedimarks

import (
	"strings"
	"testing"
)

func TestFolderTag(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"Recipes", "folder:recipes"},
		{"  Recipes & Food ", "folder:recipes-food"},
		{"read later!", "folder:read-later"},
		{"Ünïcode Ok", "folder:ünïcode-ok"},
		{"a,b", "folder:a-b"},
		{"v1.2_x", "folder:v1.2_x"},
	} {
		got := FolderTag(c.name)
		if got != c.want {
			t.Errorf("FolderTag(%q) = %q, want %q", c.name, got, c.want)
		}
		if _, err := ParseTag(got); err != nil {
			t.Errorf("FolderTag(%q) = %q is not a tag: %v", c.name, got, err)
		}
	}
	a, b := FolderTag("🍲"), FolderTag("📚")
	if a == b || a == "folder:" {
		t.Errorf("emoji-only names: %q and %q", a, b)
	}
	if _, err := ParseTag(a); err != nil {
		t.Errorf("%q: %v", a, err)
	}
	long := FolderTag("x" + strings.Repeat("ab", 80))
	if _, err := ParseTag(long); err != nil {
		t.Errorf("long name: %v", err)
	}
}
