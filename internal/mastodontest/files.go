package mastodontest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"net/http"
)

// file is a media or avatar file served under /system/.
type file struct {
	ctype   string
	size    int
	missing bool
}

// serveFile answers GET /system/... with a file of the configured size.
func (i *Instance) serveFile(r *http.Request) reply {
	f := i.files[r.URL.Path]
	if f == nil || f.missing || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return reply{status: http.StatusNotFound, ctype: "text/plain; charset=utf-8", body: []byte("Not Found\n")}
	}
	rp := reply{status: http.StatusOK, ctype: f.ctype, body: fileBytes(r.URL.Path, f)}
	rp.set("Cache-Control", "public, max-age=315576000, immutable")
	return rp
}

// fileBytes makes the content of a file: a valid PNG padded to the size
// for PNGs big enough, reproducible bytes otherwise.
func fileBytes(path string, f *file) []byte {
	if f.ctype == "image/png" {
		if b := paddedPNG(f.size); b != nil {
			return b
		}
	}
	h := fnv.New64a()
	h.Write([]byte(path))
	seed := h.Sum64()
	b := make([]byte, f.size)
	for k := range b {
		b[k] = byte(seed>>(uint(k%8)*8)) ^ byte(k)
	}
	return b
}

// paddedPNG returns a 1x1 PNG of exactly size bytes, padded with a private
// ancillary chunk that decoders skip, or nil if size is too small.
func paddedPNG(size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.NRGBA{R: 0x63, G: 0x64, B: 0xff, A: 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil
	}
	b := buf.Bytes()
	pad := size - len(b) - 12 // chunk length, type and CRC
	if pad < 0 {
		return nil
	}
	iend := len(b) - 12
	chunk := make([]byte, 12+pad)
	binary.BigEndian.PutUint32(chunk, uint32(pad))
	copy(chunk[4:], "fmTs")
	for k := range pad {
		chunk[8+k] = byte('a' + k%26)
	}
	binary.BigEndian.PutUint32(chunk[8+pad:], crc32.ChecksumIEEE(chunk[4:8+pad]))
	out := make([]byte, 0, size)
	out = append(out, b[:iend]...)
	out = append(out, chunk...)
	return append(out, b[iend:]...)
}

// servePage answers a post's URI or URL: ActivityPub JSON when asked for
// (another instance resolving it, or a client asking the post's own
// server: see serveObject), else a small HTML page. Deleted and unknown
// posts are 404.
func (i *Instance) servePage(r *http.Request) reply {
	if wantsObject(r) {
		return i.serveObject(r)
	}
	p := i.n.lookup(i.URL() + r.URL.Path)
	if p == nil || p.origin != i || p.deleted || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return errReply(http.StatusNotFound, "Record not found")
	}
	return reply{status: http.StatusOK, ctype: "text/html; charset=utf-8", body: []byte(pageHTML(p))}
}
