package formats

import (
	"iter"

	"github.com/fedimarks/fedimarks"
)

// keptRows are a file's rows as its reader kept them: chunks of keptRow
// in file order, and whether the file lists the newest bookmark first.
type keptRows struct {
	chunks      [][]keptRow
	n           int
	newestFirst bool
}

// Len is the number of rows read: len(Items) once joined.
func (r Result) Len() int {
	if r.rows != nil {
		return r.rows.n
	}
	return len(r.Items)
}

// WriteOrder yields the rows oldest bookmark first (by Order, from 0),
// each time it is ranged over: Items sorted by Order, without a copy.
func (r Result) WriteOrder() iter.Seq[fedimarks.ImportItem] {
	return func(yield func(fedimarks.ImportItem) bool) {
		if r.rows == nil {
			r.eachItem(yield)
			return
		}
		k := r.rows
		if !k.newestFirst {
			order := 0
			for _, ch := range k.chunks {
				for _, row := range ch {
					it := row.item()
					it.Order = order
					order++
					if !yield(it) {
						return
					}
				}
			}
			return
		}
		order := 0
		for c := len(k.chunks) - 1; c >= 0; c-- {
			ch := k.chunks[c]
			for i := len(ch) - 1; i >= 0; i-- {
				it := ch[i].item()
				it.Order = order
				order++
				if !yield(it) {
					return
				}
			}
		}
	}
}

// eachItem yields Items by Order (readers set Order monotonic in file
// order: the items ascending or descending).
func (r Result) eachItem(yield func(fedimarks.ImportItem) bool) {
	items := r.Items
	if len(items) > 1 && items[0].Order > items[len(items)-1].Order {
		for i := len(items) - 1; i >= 0; i-- {
			if !yield(items[i]) {
				return
			}
		}
		return
	}
	for _, it := range items {
		if !yield(it) {
			return
		}
	}
}

// joined is r with its kept rows joined into Items in file order, their
// Order set.
func (r Result) joined() Result {
	k := r.rows
	if k == nil {
		return r
	}
	r.rows = nil
	r.Items = make([]fedimarks.ImportItem, 0, k.n)
	for i, ch := range k.chunks {
		for _, row := range ch {
			r.Items = append(r.Items, row.item())
		}
		k.chunks[i] = nil // the items are in one copy, not two, once the GC runs
	}
	for i := range r.Items {
		if k.newestFirst {
			r.Items[i].Order = k.n - 1 - i
		} else {
			r.Items[i].Order = i
		}
	}
	return r
}
