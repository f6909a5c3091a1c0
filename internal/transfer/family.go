package transfer

import (
	"errors"

	"github.com/fedimarks/fedimarks"
)

// conflictIsAlready reports whether the destination's refusal of a
// bookmark as a conflict (fedimarks.KindConflict) means that the post is
// bookmarked already: snac's 422, and Misskey's ALREADY_FAVORITED (400)
// to a second favorite of a note, when spoken to with Misskey's API.
func conflictIsAlready(software string, api fedimarks.Family) bool {
	return software == "snac" || api == fedimarks.FamilyMisskey
}

// answerStatus is the status of the server's answer in err, as its
// protocol writes it ("400 ALREADY_FAVORITED"), or def when err carries
// none.
func answerStatus(err error, def string) string {
	var re *fedimarks.RemoteError
	if errors.As(err, &re) && re.Status != "" {
		return re.Status
	}
	return def
}
