//go:build unix

package web_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used so far (user and
// system): the benchmarks report it per page as well, since on a shared
// machine the wall time of a page is mostly waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
