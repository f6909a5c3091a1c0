package ui

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// JSONLines writes values as JSON, one object a line, for --json output.
// It is safe for concurrent use: lines never interleave.
type JSONLines struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONLines returns a JSONLines writing to w. HTML characters (<, >, &)
// are written as they are, not escaped.
func NewJSONLines(w io.Writer) *JSONLines {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONLines{enc: enc}
}

// Encode writes v as one line of JSON.
func (j *JSONLines) Encode(v any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.enc.Encode(v); err != nil {
		return fmt.Errorf("write json line: %w", err)
	}
	return nil
}
