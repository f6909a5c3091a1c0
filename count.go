package fedimarks

import "strconv"

// Count formats n with a comma between each group of three digits: 1000 is
// "1,000", -1234567 is "-1,234,567".
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg = true
		s = s[1:]
	}
	if len(s) <= 3 {
		if neg {
			return "-" + s
		}
		return s
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	out = append(out, s[:first]...)
	for i := first; i < len(s); i += 3 {
		out = append(out, ',')
		out = append(out, s[i:i+3]...)
	}
	return string(out)
}

// Plural says a count of a noun for a person: "1 row", "0 rows", "1,100
// rows" (Count's commas). Every noun fedimarks counts takes an s.
func Plural[N ~int | ~int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Count(int64(n)) + " " + noun + "s"
}

// IsAre is the verb that agrees with a count of n: "is" for 1, else "are".
func IsAre[N ~int | ~int64](n N) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
