package storetest_test

import (
	"testing"

	"github.com/escalator-testbed/escalator/orchestrator"
	"github.com/escalator-testbed/escalator/orchestrator/storetest"
)

// The reference passes its own suite: what Run asserts beside "equal to
// the memory store" is what the Manager relies on of any store.
func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) orchestrator.Store { return orchestrator.NewMemoryStore() })
}
