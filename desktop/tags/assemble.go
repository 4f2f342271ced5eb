package tags

import (
	"encoding/json"
	"sort"
)

// Assembler joins the parts of an Items list printed over several lines
// ([MGM_ITEMS:<id>:1/3][…], …:2/3, …:3/3), each part a complete JSON array. It holds
// parts in memory; the caller keeps them durable if it must.
type Assembler struct {
	parts map[string]map[int]json.RawMessage
	total map[string]int
}

// Add takes one Items tag. A whole list is returned as is; a part is kept until every
// part of its list is there, then the concatenated list is returned as one Items tag.
// ok is false while parts are missing.
func (a *Assembler) Add(t Tag) (Tag, bool) {
	if t.Kind != Items {
		return Tag{}, false
	}
	if t.Parts == 0 {
		return t, true
	}
	if a.parts == nil {
		a.parts, a.total = map[string]map[int]json.RawMessage{}, map[string]int{}
	}
	if a.total[t.ID] != t.Parts { // a new listing for the same request starts over
		a.parts[t.ID], a.total[t.ID] = map[int]json.RawMessage{}, t.Parts
	}
	a.parts[t.ID][t.Part] = t.Payload
	if len(a.parts[t.ID]) < t.Parts {
		return Tag{}, false
	}
	nums := make([]int, 0, t.Parts)
	for n := range a.parts[t.ID] {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	all := []json.RawMessage{}
	for _, n := range nums {
		var items []json.RawMessage
		if err := json.Unmarshal(a.parts[t.ID][n], &items); err == nil {
			all = append(all, items...)
		}
	}
	delete(a.parts, t.ID)
	delete(a.total, t.ID)
	joined, _ := json.Marshal(all)
	return Tag{Kind: Items, ID: t.ID, Payload: joined}, true
}
