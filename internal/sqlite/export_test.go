package sqlite

// SetTimelineEvery sets how far apart a timeline's page anchors are, for
// tests over small archives, and returns what puts it back.
func SetTimelineEvery(n int) (restore func()) {
	old := timelineEvery
	timelineEvery = n
	return func() { timelineEvery = old }
}

// AnchorWalks returns how many listings a has read in full to find their
// page anchors (not counting anchors read as the backup stored them).
func AnchorWalks(a *Archive) int64 { return a.anchors.walks.Load() }

// CountReads returns how many searches a has counted from their listing
// (not from a kept count).
func CountReads(a *Archive) int64 { return a.counts.reads.Load() }
