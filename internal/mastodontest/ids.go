package mastodontest

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// idBase is the creation time of accounts and media: ids are derived from it
// and a counter so that runs are reproducible.
var idBase = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)

// snowflake returns a Mastodon-style id: milliseconds since the Unix epoch
// shifted left 16 bits, plus a sequence in the low bits (Mastodon::Snowflake).
func snowflake(t time.Time, seq int64) string {
	return strconv.FormatInt(t.UnixMilli()<<16|(seq&0xffff), 10)
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ulid returns a 26-character ULID: 48 bits of milliseconds and 80 bits
// that are random on GoToSocial and here come from seq, so that ids sort by
// time and stay reproducible.
func ulid(t time.Time, seq int64) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for k := 5; k >= 0; k-- {
		b[k] = byte(ms)
		ms >>= 8
	}
	s := uint64(seq)
	for k := 15; k >= 8; k-- {
		b[k] = byte(s)
		s >>= 8
	}
	// 128 bits as 26 base-32 digits, most significant first (2 leading zero bits).
	out := make([]byte, 26)
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 | uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	for k := 25; k >= 0; k-- {
		out[k] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out)
}

// md5ID is how snac names things in its Mastodon API: the MD5 of the
// ActivityPub id, in hex.
func md5ID(uri string) string {
	sum := md5.Sum([]byte(uri))
	return hex.EncodeToString(sum[:])
}

// secret returns an unguessable token: 32 random bytes, base64url, as
// Doorkeeper's are 43 characters.
func secret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
