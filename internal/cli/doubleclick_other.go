//go:build !windows

package cli

// soleConsole is Windows' test; elsewhere there is no such console.
func soleConsole() bool { return false }
