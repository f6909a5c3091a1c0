package sqlite

// SetTimelineEvery sets how far apart a timeline's page anchors are, for
// tests over small archives, and returns what puts it back.
func SetTimelineEvery(n int) (restore func()) {
	old := timelineEvery
	timelineEvery = n
	return func() { timelineEvery = old }
}
