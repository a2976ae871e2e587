package exchange

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// StreamKey names one output stream of a producing task: the rows that task
// sends to one consumer partition. Query ids are unique in the cluster; a
// stage is a plan fragment; Task tells apart the tasks of one stage, of
// which one node may run several (a rerun of a lost task lands next to the
// node's own).
type StreamKey struct {
	Query     string
	Stage     int32
	Task      int32
	Partition int32
}

func (k StreamKey) String() string {
	return fmt.Sprintf("%s/s%d/t%d/p%d", k.Query, k.Stage, k.Task, k.Partition)
}

func (k StreamKey) valid() bool {
	return k.Query != "" && k.Stage >= 0 && k.Task >= 0 && k.Partition >= 0
}

// ticketMagic starts every ticket, so a ticket from something else (or an
// older encoding) is refused rather than misread.
var ticketMagic = []byte("bsx1")

// ticket encodes k as a Flight ticket: the magic, three varints, the query id.
func (k StreamKey) ticket() []byte {
	b := append([]byte(nil), ticketMagic...)
	b = binary.AppendUvarint(b, uint64(k.Stage))
	b = binary.AppendUvarint(b, uint64(k.Task))
	b = binary.AppendUvarint(b, uint64(k.Partition))
	return append(b, k.Query...)
}

func parseTicket(t []byte) (StreamKey, error) {
	bad := fmt.Errorf("malformed exchange ticket")
	if !bytes.HasPrefix(t, ticketMagic) {
		return StreamKey{}, bad
	}
	t = t[len(ticketMagic):]
	var v [3]int32
	for i := range v {
		x, n := binary.Uvarint(t)
		if n <= 0 || x > 1<<31-1 {
			return StreamKey{}, bad
		}
		v[i] = int32(x)
		t = t[n:]
	}
	k := StreamKey{Query: string(t), Stage: v[0], Task: v[1], Partition: v[2]}
	if !k.valid() {
		return StreamKey{}, bad
	}
	return k, nil
}
