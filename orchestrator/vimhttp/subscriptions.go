package vimhttp

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/event"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// Authentication types a subscription may ask for on its notifications.
const (
	AuthBasic  = event.AuthBasic
	AuthOAuth2 = event.AuthOAuth2
)

// Auth is how the VIM must authenticate when it calls a subscriber. It is
// held in memory only and never written to a response, a log or a trace.
type Auth struct {
	Type          string
	UserName      string
	Password      string
	ClientID      string
	ClientSecret  string
	TokenEndpoint string
}

// Subscription is one VNFM's request to be notified.
type Subscription struct {
	ID          string
	VNFM        string
	CallbackURI string
	Types       []string // empty: every notification type
	NodeIDs     []string // empty: every node
	Auth        *Auth
}

// sameAs reports whether two subscriptions would receive the same
// notifications at the same place: SOL013's duplicate.
func (s *Subscription) sameAs(o *Subscription) bool {
	return s.VNFM == o.VNFM && s.CallbackURI == o.CallbackURI &&
		slices.Equal(sorted(s.Types), sorted(o.Types)) && slices.Equal(sorted(s.NodeIDs), sorted(o.NodeIDs))
}

func sorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

// wants reports whether a notification for vnfm passes the filter.
func (s *Subscription) wants(vnfm string, n orchestrator.Notification) bool {
	if s.VNFM != vnfm {
		return false
	}
	if len(s.Types) > 0 && !slices.Contains(s.Types, n.NotificationType) {
		return false
	}
	if len(s.NodeIDs) > 0 && len(n.AffectedNodes) > 0 {
		return slices.ContainsFunc(n.AffectedNodes, func(id string) bool { return slices.Contains(s.NodeIDs, id) })
	}
	return true
}

// Store keeps subscriptions in creation order. It is safe for concurrent
// use: a conformance run keeps one store (the VNFM under test subscribes
// once) across the testbeds of its cases, whose loops may overlap while
// one case hands over to the next.
type Store struct {
	mu    sync.Mutex
	subs  []*Subscription
	newID func() string
}

// All returns the subscriptions in creation order.
func (st *Store) All() []*Subscription {
	st.mu.Lock()
	defer st.mu.Unlock()
	return slices.Clone(st.subs)
}

// NewStore returns an empty store drawing IDs from newID.
func NewStore(newID func() string) *Store { return &Store{newID: newID} }

// Add stores sub unless an identical one exists, which it then returns
// with created false (the API answers 303 See Other).
func (st *Store) Add(sub *Subscription) (got *Subscription, created bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, s := range st.subs {
		if s.sameAs(sub) {
			return s, false
		}
	}
	sub.ID = st.newID()
	st.subs = append(st.subs, sub)
	return sub, true
}

// Restore puts back subscriptions an earlier process of the VIM held, with
// their IDs, after the ones it holds: a VNFM that subscribed before the
// VIM was restarted keeps its subscription and its ID. One that the store
// already holds (by ID) is skipped.
func (st *Store) Restore(subs []*Subscription) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, sub := range subs {
		if sub == nil || sub.ID == "" || slices.ContainsFunc(st.subs, func(s *Subscription) bool { return s.ID == sub.ID }) {
			continue
		}
		st.subs = append(st.subs, sub)
	}
}

// Get returns one subscription.
func (st *Store) Get(id string) (*Subscription, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, s := range st.subs {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, escalator.Errorf(escalator.ENOTFOUND, "no subscription %q", id)
}

// Delete removes one subscription.
func (st *Store) Delete(id string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i, s := range st.subs {
		if s.ID == id {
			st.subs = slices.Delete(st.subs, i, i+1)
			return nil
		}
	}
	return escalator.Errorf(escalator.ENOTFOUND, "no subscription %q", id)
}

// For returns the subscriptions a notification to vnfm goes to.
func (st *Store) For(vnfm string, n orchestrator.Notification) []*Subscription {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []*Subscription
	for _, s := range st.subs {
		if s.wants(vnfm, n) {
			out = append(out, s)
		}
	}
	return out
}

// VNFMs lists the VNFMs with at least one subscription.
func (st *Store) VNFMs() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for _, s := range st.subs {
		if !slices.Contains(out, s.VNFM) {
			out = append(out, s.VNFM)
		}
	}
	return out
}

// PageSize is how many subscriptions one GET returns.
const PageSize = 50

// List applies an ETSI attribute filter and returns one page, with the
// marker of the next page ("" on the last).
func (st *Store) List(filter, marker string) (page []*Subscription, next string, err error) {
	match, err := parseFilter(filter)
	if err != nil {
		return nil, "", err
	}
	start := 0
	if marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(marker)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 {
			return nil, "", escalator.Errorf(escalator.EINVALID, "nextpage_opaque_marker %q is not one this server gave", marker)
		}
		start = n
	}
	var all []*Subscription
	for _, s := range st.All() {
		if match(s) {
			all = append(all, s)
		}
	}
	if start > len(all) {
		start = len(all)
	}
	end := min(start+PageSize, len(all))
	if end < len(all) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return all[start:end], next, nil
}

// parseFilter reads SOL013 attribute-based filtering:
// "(eq,vnfmId,vnfm-1);(neq,callbackUri,http://x)". Supported operators are
// eq and neq (comma-separated values are alternatives), on every attribute
// of a subscription: id, vnfmId, callbackUri, and the list attributes
// filter.nodeIds and filter.notificationTypes, which match when they hold
// one of the values.
func parseFilter(f string) (func(*Subscription) bool, error) {
	if strings.TrimSpace(f) == "" {
		return func(*Subscription) bool { return true }, nil
	}
	var terms []func(*Subscription) bool
	for _, term := range strings.Split(f, ";") {
		inner, ok := strings.CutPrefix(strings.TrimSpace(term), "(")
		inner, ok2 := strings.CutSuffix(inner, ")")
		parts := strings.Split(inner, ",")
		if !ok || !ok2 || len(parts) < 3 {
			return nil, escalator.Errorf(escalator.EINVALID, "filter term %q is not (op,attribute,value)", term)
		}
		op, attr, values := parts[0], parts[1], parts[2:]
		var get func(*Subscription) []string
		switch attr {
		case "id":
			get = func(s *Subscription) []string { return []string{s.ID} }
		case "vnfmId":
			get = func(s *Subscription) []string { return []string{s.VNFM} }
		case "callbackUri":
			get = func(s *Subscription) []string { return []string{s.CallbackURI} }
		case "filter.nodeIds":
			get = func(s *Subscription) []string { return s.NodeIDs }
		case "filter.notificationTypes":
			get = func(s *Subscription) []string { return s.Types }
		default:
			return nil, escalator.Errorf(escalator.EINVALID, "filter attribute %q is not supported (use id, vnfmId, callbackUri, filter.nodeIds or filter.notificationTypes)", attr)
		}
		any := func(s *Subscription) bool {
			return slices.ContainsFunc(get(s), func(v string) bool { return slices.Contains(values, v) })
		}
		switch op {
		case "eq":
			terms = append(terms, any)
		case "neq":
			terms = append(terms, func(s *Subscription) bool { return !any(s) })
		default:
			return nil, escalator.Errorf(escalator.EINVALID, "filter operator %q is not supported (use eq or neq)", op)
		}
	}
	return func(s *Subscription) bool {
		for _, t := range terms {
			if !t(s) {
				return false
			}
		}
		return true
	}, nil
}

func (a *Auth) String() string {
	if a == nil {
		return "none"
	}
	return fmt.Sprintf("%s (credentials withheld)", a.Type)
}
