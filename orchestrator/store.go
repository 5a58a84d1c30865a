package orchestrator

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/escalator-testbed/escalator"
)

// Commit is one step's writes for one session.
type Commit struct {
	// Spec is set on a session's first commit only: what never changes.
	Spec *SessionSpec
	// Session is the session's small, mutable part, written whole.
	Session SessionHeader
	ID      string
	// Nodes are the node rows that changed since the last commit.
	Nodes []NodeRecord
	// Notes are the notifications about to be sent, each once.
	Notes []Notification
	// Replies are the replies accepted since the last commit.
	Replies []Reply
	// header is Session as JSON when the Manager encoded it already (to
	// see whether it changed), so it is not encoded twice.
	header []byte
}

// SessionSpec is what a session was asked to do.
type SessionSpec struct {
	ID      string    `json:"id"`
	Config  Config    `json:"config"`
	Order   []string  `json:"order"`
	Created time.Time `json:"created"`
}

// SessionHeader is a session's mutable state, bar its nodes.
type SessionHeader struct {
	State        string               `json:"state"`
	Reason       string               `json:"reason,omitempty"`
	Back         []string             `json:"back,omitempty"`
	Failed       []string             `json:"failed,omitempty"`
	VNFMs        []string             `json:"vnfms,omitempty"`
	Paused       bool                 `json:"paused,omitempty"`
	Abort        bool                 `json:"abort,omitempty"`
	Failure      string               `json:"failure,omitempty"`
	RollingBack  bool                 `json:"rollingBack,omitempty"`
	Cause        string               `json:"cause,omitempty"`
	ImpactEnd    map[string]time.Time `json:"impactEnd,omitempty"`
	ScaledIn     bool                 `json:"scaledIn,omitempty"`
	NeedScaleIn  bool                 `json:"needScaleIn,omitempty"`
	CompleteSent bool                 `json:"completeSent,omitempty"`
	ScaleVNFMs   []string             `json:"scaleVnfms,omitempty"`
	// Upgrades counts the nodes ever upgraded in the session: the next
	// one's NodeRecord.Seq.
	Upgrades int `json:"upgrades,omitempty"`
	// Batches counts the batches begun (BatchRecord.Gen).
	Batches int          `json:"batches,omitempty"`
	Batch   *BatchRecord `json:"batch,omitempty"`
	// Outbox are the notifications that expect no reply (node available,
	// session status) handed to the notifier and not yet reported done:
	// a restart sends them again, same id.
	Outbox []OutboxEntry `json:"outbox,omitempty"`
}

// OutboxEntry is one notification on its way to a VNFM.
type OutboxEntry struct {
	ID   string `json:"id"`
	VNFM string `json:"vnfm"`
}

// In-flight steps of a node (NodeRecord.Step): the effect asked of a port
// whose outcome the record does not have yet.
const (
	stepUpgrade = "upgrade"
	stepVerify  = "verify"
	// stepRelease: the node is done with (Final says how) and is being
	// taken out of maintenance.
	stepRelease = "release"
)

// NodeRecord is one node's row.
type NodeRecord struct {
	NodeStatus
	Original string `json:"original"`
	Broken   bool   `json:"broken,omitempty"`
	// Step and Since are the effect in flight and when it was asked for:
	// a deadline survives a restart as Since plus the timeout.
	Step  string    `json:"step,omitempty"`
	Since time.Time `json:"since,omitzero"`
	// Final and FinalReason are the status a releasing node ends with.
	Final       string `json:"final,omitempty"`
	FinalReason string `json:"finalReason,omitempty"`
	// Seq orders the upgraded nodes (newest rolls back first); 0 is not
	// upgraded.
	Seq int `json:"seq,omitempty"`
	// What a node holds of the batch it is in, so that the session's
	// header stays small however large the batches (a header is written at
	// every step): the batch's number (BatchRecord.Gen) and the node's
	// place in it, the number of the batch in which it settled, and the
	// instance groups with a recovery time it hosted when the batch began.
	Batch    int      `json:"batch,omitempty"`
	BatchPos int      `json:"batchPos,omitempty"`
	Settled  int      `json:"settled,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// BatchRecord is the batch in flight: what is the batch's own, of a size
// that does not grow with it. Its nodes are the node rows whose Batch is
// Gen (Size of them); what each VNFM asked to have migrated is in the
// replies, and which VNFMs heard of a node is in the notifications.
type BatchRecord struct {
	Gen      int       `json:"gen"`
	Size     int       `json:"size"`
	State    string    `json:"state"`
	Notified time.Time `json:"notified"`
	Rollback bool      `json:"rollback,omitempty"`
	Phase    string    `json:"phase"`
	// Started: every node entered maintenance and every notification went
	// out; until then a restart redoes the batch's start.
	Started bool              `json:"started,omitempty"`
	Pending map[string]string `json:"pending,omitempty"`
	// Notes are the batch's notifications: id → the VNFM it went to.
	Notes    map[string]string `json:"notes,omitempty"`
	LeadDone bool              `json:"leadDone,omitempty"`
}

// SessionRecord is a session as a Store holds it.
type SessionRecord struct {
	Spec    SessionSpec
	Session SessionHeader
	Nodes   []NodeRecord
	Notes   []Notification
	Replies []Reply
}

// MemoryStore is a Store in the process's memory: the default in virtual
// time, where a simulated crash keeps the "disk" and loses the Manager.
// Every record goes through JSON, as it would to a file, so a dead
// Manager's memory can never leak into its successor through a shared
// pointer, and a field that cannot be encoded fails here first.
type MemoryStore struct {
	order    []string
	sessions map[string]*memSession
	// Commits counts the transactions, for the tests and the bench.
	Commits int
}

type memSession struct {
	spec, header []byte
	nodes        map[string][]byte
	nodeOrder    []string
	notes        [][]byte
	replies      [][]byte
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore { return &MemoryStore{sessions: map[string]*memSession{}} }

// Commit implements Store.
func (m *MemoryStore) Commit(c Commit) error {
	enc, err := EncodeCommit(c)
	if err != nil {
		return err
	}
	s := m.sessions[c.ID]
	if s == nil {
		if enc.Spec == nil {
			return escalator.Errorf(escalator.EINTERNAL, "store: commit to unknown session %s without its spec", c.ID)
		}
		s = &memSession{nodes: map[string][]byte{}}
		m.sessions[c.ID] = s
		m.order = append(m.order, c.ID)
	}
	if enc.Spec != nil {
		s.spec = enc.Spec
	}
	s.header = enc.Header
	for i, id := range enc.NodeIDs {
		if _, ok := s.nodes[id]; !ok {
			s.nodeOrder = append(s.nodeOrder, id)
		}
		s.nodes[id] = enc.Nodes[i]
	}
	s.notes = append(s.notes, enc.Notes...)
	s.replies = append(s.replies, enc.Replies...)
	m.Commits++
	return nil
}

// Load implements Store.
func (m *MemoryStore) Load() ([]SessionRecord, error) {
	var out []SessionRecord
	for _, id := range m.order {
		s := m.sessions[id]
		var nodes [][]byte
		for _, n := range s.nodeOrder {
			nodes = append(nodes, s.nodes[n])
		}
		r, err := DecodeSession(s.spec, s.header, nodes, s.notes, s.replies)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// EncodedCommit is a Commit as the JSON documents a Store keeps.
type EncodedCommit struct {
	Spec    []byte
	Header  []byte
	NodeIDs []string
	Nodes   [][]byte
	NoteIDs []string
	Notes   [][]byte
	Replies [][]byte
}

// EncodeCommit turns a Commit into the documents a Store writes; every
// Store implementation shares it, so they hold the same bytes.
func EncodeCommit(c Commit) (EncodedCommit, error) {
	var e EncodedCommit
	var err error
	if c.Spec != nil {
		if e.Spec, err = json.Marshal(c.Spec); err != nil {
			return e, storeErr("session spec", err)
		}
	}
	if e.Header = c.header; e.Header == nil {
		if e.Header, err = json.Marshal(c.Session); err != nil {
			return e, storeErr("session", err)
		}
	}
	for _, n := range c.Nodes {
		b, err := json.Marshal(n)
		if err != nil {
			return e, storeErr("node "+n.Node, err)
		}
		e.NodeIDs = append(e.NodeIDs, n.Node)
		e.Nodes = append(e.Nodes, b)
	}
	for _, n := range c.Notes {
		b, err := json.Marshal(n)
		if err != nil {
			return e, storeErr("notification "+n.ID, err)
		}
		e.NoteIDs = append(e.NoteIDs, n.ID)
		e.Notes = append(e.Notes, b)
	}
	for _, r := range c.Replies {
		b, err := json.Marshal(r)
		if err != nil {
			return e, storeErr("reply", err)
		}
		e.Replies = append(e.Replies, b)
	}
	return e, nil
}

// DecodeSession rebuilds a SessionRecord from the documents EncodeCommit
// made. A document that does not decode is a corrupt store: an error,
// never a guess.
func DecodeSession(spec, header []byte, nodes, notes, replies [][]byte) (SessionRecord, error) {
	var r SessionRecord
	if err := json.Unmarshal(spec, &r.Spec); err != nil {
		return r, escalator.Errorf(escalator.EINVALID, "store: a session's spec does not decode: %v", err)
	}
	if err := json.Unmarshal(header, &r.Session); err != nil {
		return r, escalator.Errorf(escalator.EINVALID, "store: session %s does not decode: %v", r.Spec.ID, err)
	}
	for _, b := range nodes {
		var n NodeRecord
		if err := json.Unmarshal(b, &n); err != nil {
			return r, escalator.Errorf(escalator.EINVALID, "store: a node of session %s does not decode: %v", r.Spec.ID, err)
		}
		r.Nodes = append(r.Nodes, n)
	}
	for _, b := range notes {
		var n Notification
		if err := json.Unmarshal(b, &n); err != nil {
			return r, escalator.Errorf(escalator.EINVALID, "store: a notification of session %s does not decode: %v", r.Spec.ID, err)
		}
		r.Notes = append(r.Notes, n)
	}
	for _, b := range replies {
		var x Reply
		if err := json.Unmarshal(b, &x); err != nil {
			return r, escalator.Errorf(escalator.EINVALID, "store: a reply of session %s does not decode: %v", r.Spec.ID, err)
		}
		r.Replies = append(r.Replies, x)
	}
	if r.Spec.ID == "" || len(r.Spec.Order) == 0 && len(r.Nodes) > 0 {
		return r, escalator.Errorf(escalator.EINVALID, "store: a session record has no id or no node order")
	}
	for _, n := range r.Nodes {
		if !slices.Contains(r.Spec.Order, n.Node) {
			return r, escalator.Errorf(escalator.EINVALID, "store: session %s has a row for node %q it does not list", r.Spec.ID, n.Node)
		}
	}
	return r, nil
}

func storeErr(what string, err error) error {
	return escalator.Errorf(escalator.EINTERNAL, "store: cannot encode the %s: %v", what, err)
}
