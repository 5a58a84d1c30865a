package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/escalator-testbed/escalator/scenarios/spec"
)

// TestNodeNamesAreTheTestbedsNodes: the language names the nodes
// (spec.Scenario.NodeNames, which the reports read) in the order and with
// the names the testbed gives the world's nodes.
func TestNodeNamesAreTheTestbedsNodes(t *testing.T) {
	for _, s := range []*spec.Scenario{
		{Nodes: spec.NodesSpec{Count: 3, Zones: []string{"a", "b"}}},
		{Nodes: spec.NodesSpec{List: []spec.NodeSpec{{Name: "x"}, {Name: "y"}}}},
	} {
		s.ApplyDefaults()
		var ids []string
		for _, n := range nodeConfigs(s) {
			ids = append(ids, n.ID)
		}
		require.Equal(t, ids, s.NodeNames())
	}
}
