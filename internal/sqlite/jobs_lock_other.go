//go:build !unix

package sqlite

import "os"

// processAlive reports whether a process with the PID may exist on this
// host. On Windows FindProcess opens the process and fails when it is
// gone; elsewhere it cannot tell, and the heartbeat decides.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}
