package mastodontest

import (
	"net/http"
	"strings"
)

// Every instance serves NodeInfo as its family does: /.well-known/nodeinfo
// lists the documents (Mastodon and GoToSocial 2.0 at /nodeinfo/2.0,
// Pixelfed at /api/nodeinfo/2.0.json, snac at /nodeinfo_2_0, Misskey 2.1
// and 2.0), and each names the software (InstanceOptions.Software, by
// default the quirk's name) and its version. InstanceOptions.NoNodeinfo
// makes all of it 404.

// nodeinfoLinks are the documents an instance's family serves, by schema.
func (i *Instance) nodeinfoLinks() map[string]string {
	switch i.opts.Quirk {
	case Pixelfed:
		return map[string]string{"2.0": "/api/nodeinfo/2.0.json"}
	case Snac:
		return map[string]string{"2.0": "/nodeinfo_2_0"}
	case Misskey:
		return map[string]string{"2.1": "/nodeinfo/2.1", "2.0": "/nodeinfo/2.0"}
	}
	return map[string]string{"2.0": "/nodeinfo/2.0"}
}

// nodeinfoVersion is the software version nodeinfo reports: the version
// of the software itself, not the Mastodon API version some report
// elsewhere ("3.5.3 (compatible; Pixelfed 0.12.4)" is "0.12.4").
func (i *Instance) nodeinfoVersion() string {
	v := i.opts.Version
	if _, after, ok := strings.Cut(v, "(compatible; "); ok {
		v = strings.TrimSuffix(after, ")")
		if _, ver, ok := strings.Cut(v, " "); ok { // "Pixelfed 0.12.4"
			v = ver
		} else if _, ver, ok := strings.Cut(v, "/"); ok { // "snac/2.59"
			v = ver
		}
	}
	return v
}

// nodeinfo answers /.well-known/nodeinfo and the documents it lists.
func (i *Instance) nodeinfo(r *http.Request) reply {
	if i.opts.NoNodeinfo || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return errReply(http.StatusNotFound, "Not Found")
	}
	links := i.nodeinfoLinks()
	if r.URL.Path == "/.well-known/nodeinfo" {
		var out []map[string]string
		for _, schema := range []string{"2.1", "2.0"} {
			if path, ok := links[schema]; ok {
				out = append(out, map[string]string{
					"rel": "http://nodeinfo.diaspora.software/ns/schema/" + schema, "href": i.URL() + path,
				})
			}
		}
		return jsonReply(http.StatusOK, map[string]any{"links": out})
	}
	for schema, path := range links {
		if r.URL.Path != path {
			continue
		}
		users, posts := 0, 0
		for _, a := range i.accounts {
			users++
			posts += a.posts
		}
		software := map[string]any{"name": i.software(), "version": i.nodeinfoVersion()}
		if schema == "2.1" {
			software["repository"] = sourceURL(i.opts.Quirk)
			software["homepage"] = sourceURL(i.opts.Quirk)
		}
		rp := jsonReply(http.StatusOK, map[string]any{
			"version": schema, "software": software, "protocols": []string{"activitypub"},
			"services":          map[string]any{"inbound": []any{}, "outbound": []any{}},
			"openRegistrations": false,
			"usage":             map[string]any{"users": map[string]any{"total": users, "activeMonth": users, "activeHalfyear": users}, "localPosts": posts},
			"metadata":          map[string]any{"nodeName": i.opts.Title},
		})
		rp.ctype = `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/` + schema + `#"; charset=utf-8`
		return rp
	}
	return errReply(http.StatusNotFound, "Not Found")
}
