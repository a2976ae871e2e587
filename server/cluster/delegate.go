package cluster

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// leaveMsgPrefix starts the notice a leaving node sends each member.
const leaveMsgPrefix = "basalt-leave:"

// member is what this node knows of another.
type member struct {
	meta    Meta
	addr    string // gossip host:port
	state   State  // Alive, Dead or Left: memberlist's view
	joined  time.Time
	since   time.Time
	lastAck time.Time // last direct probe answered, or joined
	leaving bool      // it said it was leaving
}

// delegate receives memberlist's callbacks: metadata, membership events,
// merge and alive checks (refusing incompatible nodes), probe acks and the
// leave notices.
type delegate struct {
	self         string
	meta         Meta
	enc          []byte
	logf         func(string, ...any)
	probe        time.Duration
	probeTimeout time.Duration

	mu            sync.Mutex
	members       map[string]*member
	refusal       string
	refusedLogged map[string]bool
}

var (
	_ memberlist.Delegate      = (*delegate)(nil)
	_ memberlist.EventDelegate = (*delegate)(nil)
	_ memberlist.MergeDelegate = (*delegate)(nil)
	_ memberlist.AliveDelegate = (*delegate)(nil)
	_ memberlist.PingDelegate  = (*delegate)(nil)
)

// NodeMeta is this node's advertised metadata (checked against the limit
// in New).
func (d *delegate) NodeMeta(limit int) []byte { return d.enc }

// NotifyMsg receives user messages: the leave notices.
func (d *delegate) NotifyMsg(b []byte) {
	name, ok := strings.CutPrefix(string(b), leaveMsgPrefix)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.members[name]
	if m == nil {
		return
	}
	m.leaving = true
	// The notice travels over TCP and memberlist's leave over UDP gossip:
	// if the leave won the race, the death just recorded was a leave.
	if m.state == Dead && time.Since(m.since) < 10*d.probe {
		m.state = Left
	}
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// NotifyJoin: a node is alive (new, or back after dead or left).
func (d *delegate) NotifyJoin(n *memberlist.Node) {
	if n.Name == d.self {
		return
	}
	meta, err := decodeMeta(n.Meta)
	if err != nil {
		meta = Meta{Name: n.Name}
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.members[n.Name]
	if m == nil || m.state != Alive {
		m = &member{joined: now}
		d.members[n.Name] = m
	}
	m.meta, m.addr, m.state, m.since, m.lastAck, m.leaving = meta, n.Address(), Alive, now, now, false
	d.logf("node %s (%s) joined", n.Name, n.Address())
}

// NotifyLeave: memberlist declared a node dead, or it left; only our own
// leave notice tells the two apart (memberlist's Node does not carry it).
func (d *delegate) NotifyLeave(n *memberlist.Node) {
	if n.Name == d.self {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.members[n.Name]
	if m == nil {
		return
	}
	m.state, m.since = Dead, time.Now()
	if m.leaving {
		m.state = Left
	}
	d.logf("node %s is %s", n.Name, m.state)
}

// NotifyUpdate: a node's metadata changed.
func (d *delegate) NotifyUpdate(n *memberlist.Node) {
	meta, err := decodeMeta(n.Meta)
	if err != nil || n.Name == d.self {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if m := d.members[n.Name]; m != nil {
		m.meta, m.addr = meta, n.Address()
	}
}

// NotifyMerge vets the nodes of a cluster this node joins or that joins
// it: one incompatible node refuses the whole merge, on both sides (each
// side sends its state before merging the other's).
func (d *delegate) NotifyMerge(peers []*memberlist.Node) error {
	for _, p := range peers {
		if err := d.check(p); err != nil {
			return err
		}
	}
	return nil
}

// NotifyAlive vets nodes heard of through gossip.
func (d *delegate) NotifyAlive(p *memberlist.Node) error { return d.check(p) }

// NotifyPingComplete records a direct probe's answer (suspect detection).
func (d *delegate) NotifyPingComplete(other *memberlist.Node, rtt time.Duration, payload []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if m := d.members[other.Name]; m != nil {
		m.lastAck = time.Now()
	}
}

func (d *delegate) AckPayload() []byte { return nil }

// check refuses a node this one cannot work with, logging each refusal
// once per node and reason.
func (d *delegate) check(p *memberlist.Node) error {
	if p.Name == d.self {
		return nil
	}
	meta, err := decodeMeta(p.Meta)
	if err == nil {
		err = compatible(d.meta, meta)
	} else {
		err = fmt.Errorf("node %q at %s is not a Basalt node: %v", p.Name, p.Address(), err)
	}
	if err == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refusal = err.Error()
	if key := p.Name + "\x00" + err.Error(); !d.refusedLogged[key] {
		d.refusedLogged[key] = true
		d.logf("refusing node %s (%s): %v", p.Name, p.Address(), err)
	}
	return err
}

func (d *delegate) lastRefusal() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.refusal
}

// snapshot lists the other members; it forgets those dead or left for
// longer than forgetAfter.
func (d *delegate) snapshot(now time.Time) []Member {
	d.mu.Lock()
	defer d.mu.Unlock()
	alive := 0
	for _, m := range d.members {
		if m.state == Alive {
			alive++
		}
	}
	// memberlist probes one member a round, so each alive member is probed
	// every `alive` rounds: suspect after two missed probes of it.
	suspectAfter := time.Duration(2*alive+1)*d.probe + d.probeTimeout
	var out []Member
	for name, m := range d.members {
		if m.state != Alive && now.Sub(m.since) > forgetAfter {
			delete(d.members, name)
			continue
		}
		mm := Member{Meta: m.meta, GossipAddr: m.addr, State: m.state, JoinedAt: m.joined, StateSince: m.since}
		if ip := hostIP(m.addr); ip != nil {
			mm.PGAddr = resolveHost(mm.PGAddr, ip)
			mm.FlightAddr = resolveHost(mm.FlightAddr, ip)
		}
		if m.state == Alive && now.Sub(m.lastAck) > suspectAfter {
			mm.State, mm.StateSince = Suspect, m.lastAck
		}
		out = append(out, mm)
	}
	return out
}
