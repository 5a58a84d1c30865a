package sim

import (
	"math/bits"
	"slices"
)

// freeIndex keeps the nodes ordered the way the spread placement looks at
// them: most free vCPUs first, then topology order. Without it, placing
// each of a deployment's VMs scanned every node, so deploying V VMs on N
// nodes cost V×N checks: at 10,000 nodes and 200,000 VMs that scan was
// most of the run (bench/PROFILE.md). With it a placement looks only at
// the nodes that come first in that order until one fits.
//
// Each distinct amount of free vCPUs has a bitset of the node indexes that
// have it; keys lists the amounts present, largest first. Nodes come in a
// few sizes and hold whole VMs, so there are few amounts.
type freeIndex struct {
	words int
	sets  map[int][]uint64
	count map[int]int
	keys  []int // descending
}

func newFreeIndex(nodes int) *freeIndex {
	return &freeIndex{words: (nodes + 63) / 64, sets: map[int][]uint64{}, count: map[int]int{}}
}

func (x *freeIndex) add(free, i int) {
	set, ok := x.sets[free]
	if !ok {
		set = make([]uint64, x.words)
		x.sets[free] = set
		at, _ := slices.BinarySearchFunc(x.keys, free, func(k, f int) int { return f - k })
		x.keys = slices.Insert(x.keys, at, free)
	}
	set[i/64] |= 1 << (i % 64)
	x.count[free]++
}

func (x *freeIndex) remove(free, i int) {
	set := x.sets[free]
	set[i/64] &^= 1 << (i % 64)
	if x.count[free]--; x.count[free] == 0 {
		delete(x.sets, free)
		delete(x.count, free)
		at, _ := slices.BinarySearchFunc(x.keys, free, func(k, f int) int { return f - k })
		x.keys = slices.Delete(x.keys, at, at+1)
	}
}

func (x *freeIndex) move(from, to, i int) {
	if from != to {
		x.remove(from, i)
		x.add(to, i)
	}
}

// first returns the first node index, in the index's order, that ok
// accepts, or -1.
func (x *freeIndex) first(ok func(i int) bool) int {
	for _, free := range x.keys {
		for w, word := range x.sets[free] {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				if i := w*64 + b; ok(i) {
					return i
				}
				word &^= 1 << b
			}
		}
	}
	return -1
}
