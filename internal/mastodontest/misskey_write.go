package mastodontest

import "net/http"

// What an import into a Misskey instance uses besides ap/show and
// notes/favorites/create (misskey_api.go).
//
//   - notes/state {noteId} answers {"isFavorited","isMutedThread"} for the
//     user (NO_SUCH_NOTE for a note unknown here or deleted): a verify
//     asks it of a note the favorites listing did not show.
//   - ap/show fetches a remote note signed as the instance actor, which
//     follows nobody: a followers-only or direct note that the user may
//     not see is not served to it, and ap/show answers REQUEST_FAILED, as
//     for a note that is gone (see mkAPShow).

func init() {
	registerMisskey(&misskeyEndpoint{name: "notes/state", credential: true, kind: "read:account", handle: (*Instance).mkNoteState})
}

// mkNoteState is POST /api/notes/state.
func (i *Instance) mkNoteState(c *misskeyCall) reply {
	if _, ok := c.str("noteId"); !ok {
		return invalidParam("noteId", "required")
	}
	p := i.note(c)
	if p == nil {
		return mkNoSuchNote.reply(nil)
	}
	return jsonReply(http.StatusOK, map[string]any{"isFavorited": c.user.marked[p] != nil, "isMutedThread": false})
}
