package fedimarks

// MediaState is how far the download of one media file (an attachment, its
// preview, an avatar) got. The archive stores it as is; the zero value is
// not a state.
type MediaState string

// The states of a media file.
const (
	MediaPending  MediaState = "pending"   // queued, not tried yet
	MediaDone     MediaState = "done"      // downloaded: a local copy exists
	MediaMissing  MediaState = "missing"   // the server answered 404 or 410; not retried
	MediaTooLarge MediaState = "too_large" // over the size limit; not retried
	MediaInvalid  MediaState = "invalid"   // not an http(s) URL: never fetched nor retried
	MediaFailed   MediaState = "failed"    // anything else; retried by the next run
)

// Retried reports whether a later download run tries a file in state s:
// pending and failed files are, the others are final.
func (s MediaState) Retried() bool { return s == MediaPending || s == MediaFailed }

// Failure reports whether s is a state a download can fail with: missing,
// too_large, invalid or failed.
func (s MediaState) Failure() bool {
	switch s {
	case MediaMissing, MediaTooLarge, MediaInvalid, MediaFailed:
		return true
	}
	return false
}
