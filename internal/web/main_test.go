package web_test

import (
	"os"
	"testing"

	"github.com/fedimarks/fedimarks/internal/browsertest"
)

// TestMain ends the chromium the browser tests shared, once they all ran.
func TestMain(m *testing.M) {
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}
