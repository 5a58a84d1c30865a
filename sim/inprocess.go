package sim

import (
	"encoding/json"

	"github.com/escalator-testbed/escalator"
	"github.com/escalator-testbed/escalator/orchestrator"
)

// InProcess carries notifications and replies between the orchestrator and
// VNFMs on the same loop. Every message still travels as its JSON document,
// so what a VNFM sees is exactly what the wire would carry; each delivery
// runs as its own loop event, never inside the sender's call.
type InProcess struct {
	loop  *Loop
	tr    escalator.Emitter
	vnfms map[string]*VNFM
}

// NewInProcess returns a transport with no VNFMs attached.
func NewInProcess(loop *Loop, tr escalator.Emitter) *InProcess {
	return &InProcess{loop: loop, tr: tr, vnfms: map[string]*VNFM{}}
}

// Attach makes a VNFM reachable under its name.
func (t *InProcess) Attach(v *VNFM) { t.vnfms[v.Name()] = v }

// Notify implements orchestrator.Notifier.
func (t *InProcess) Notify(vnfm string, n orchestrator.Notification) {
	body, err := json.Marshal(n)
	t.loop.AfterFunc(0, func() {
		v := t.vnfms[vnfm]
		var got orchestrator.Notification
		if err == nil {
			err = json.Unmarshal(body, &got)
		}
		if v == nil || err != nil {
			reason := "no such VNFM"
			if err != nil {
				reason = err.Error()
			}
			t.tr.Emit("transport", "delivery.failed", vnfm, escalator.Fields{"notificationId": n.ID, "error": reason})
			return
		}
		v.Deliver(got)
	})
}

// ReplyTo returns the ReplyFunc a VNFM uses to answer m, through JSON.
func ReplyTo(m *orchestrator.Manager) ReplyFunc {
	return func(r orchestrator.Reply) error {
		body, err := json.Marshal(r)
		if err != nil {
			return escalator.Errorf(escalator.EINTERNAL, "encoding reply: %v", err)
		}
		var got orchestrator.Reply
		if err := json.Unmarshal(body, &got); err != nil {
			return escalator.Errorf(escalator.EINVALID, "decoding reply: %v", err)
		}
		return m.Reply(got)
	}
}
