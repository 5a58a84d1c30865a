package sim

import (
	"math/rand/v2"

	"github.com/google/uuid"
)

// Rand is the one source of randomness of a run. Every draw and every
// generated ID comes from it, so one seed gives one trace.
type Rand struct {
	r *rand.Rand
}

// NewRand returns a source seeded with seed.
func NewRand(seed int64) *Rand {
	return &Rand{r: rand.New(rand.NewPCG(uint64(seed), 0x65736361 /* "esca" */))}
}

// Float64 returns a number in [0, 1).
func (r *Rand) Float64() float64 { return r.r.Float64() }

// IntN returns a number in [0, n).
func (r *Rand) IntN(n int) int { return r.r.IntN(n) }

// Read fills p; it lets uuid draw from the seeded source.
func (r *Rand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r.r.Uint32())
	}
	return len(p), nil
}

// UUID returns a version-4 UUID drawn from the seeded source.
func (r *Rand) UUID() string {
	var id uuid.UUID
	_, _ = r.Read(id[:])
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id.String()
}
