package sim

// Live is the VNF's loss as of now: the requests lost so far, including
// the part of an interruption still under way, and the rate at which it
// is losing them (requests/s, 0 when every request is served). Lost only
// moves when the VNF's state changes; a live view (the demo dashboard)
// needs the running figure between changes. Call it on the loop.
func (v *VNF) Live() (lost, rate float64) {
	lost = v.Lost
	if dt := v.w.loop.Elapsed() - v.since; dt > 0 && v.lossRate > 0 {
		lost += v.lossRate * dt.Seconds()
	}
	return lost, v.lossRate
}
