package vimhttp

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// A restarted VIM puts back the subscriptions it held, IDs and credentials
// included, through their JSON (what `escalator vim --state` keeps).
func TestStoreRestore(t *testing.T) {
	n := 0
	old := NewStore(func() string { n++; return []string{"", "sub-a", "sub-b"}[n] })
	old.Add(&Subscription{VNFM: "vnfm-1", CallbackURI: "http://127.0.0.1:1/n", Auth: &Auth{Type: "BASIC", UserName: "u", Password: "p"}})
	old.Add(&Subscription{VNFM: "vnfm-2", CallbackURI: "http://127.0.0.1:2/n", Types: []string{"x"}})
	b, err := json.Marshal(old.All())
	require.NoError(t, err)

	var subs []*Subscription
	require.NoError(t, json.Unmarshal(b, &subs))
	st := NewStore(func() string { return "new" })
	st.Restore(subs)
	st.Restore(subs[:1]) // twice is once
	require.Equal(t, old.All(), st.All())
	got, err := st.Get("sub-b")
	require.NoError(t, err)
	require.Equal(t, "vnfm-2", got.VNFM)
	require.Equal(t, []string{"vnfm-1", "vnfm-2"}, st.VNFMs())
}
