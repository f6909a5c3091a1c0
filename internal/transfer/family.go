package transfer

import (
	"errors"
	"strings"

	"github.com/fedimarks/fedimarks"
)

// misskeyFamily names the server software of Misskey and its forks, as
// nodeinfo reports it: they keep favorites instead of bookmarks and speak
// Misskey's API.
var misskeyFamily = map[string]bool{
	"misskey": true, "sharkey": true, "firefish": true, "iceshrimp": true,
	"cherrypick": true, "foundkey": true, "calckey": true, "meisskey": true,
}

// isMisskeyFamily reports whether software is Misskey or one of its forks.
func isMisskeyFamily(software string) bool { return misskeyFamily[strings.ToLower(software)] }

// conflictIsAlready reports whether the destination's refusal of a
// bookmark as a conflict (fedimarks.KindConflict) means that the post is
// bookmarked already: snac's 422, and Misskey's ALREADY_FAVORITED (400)
// to a second favorite of a note.
func conflictIsAlready(software string) bool {
	return software == "snac" || isMisskeyFamily(software)
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
