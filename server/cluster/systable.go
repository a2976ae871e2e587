package cluster

import (
	"time"

	"github.com/basaltdb/basalt/server/pgcatalog"
	"github.com/basaltdb/basalt/sql/types"
	"github.com/basaltdb/basalt/storage"
)

// SystemTables are the relations of schema system this package feeds:
// system.nodes, the member list as this node sees it.
func (n *Node) SystemTables() []pgcatalog.SystemTable {
	return []pgcatalog.SystemTable{{Name: "nodes", Columns: nodesColumns, Rows: n.nodesRows}}
}

var nodesColumns = []storage.Column{
	{Name: "node_name", Type: types.TextT},
	{Name: "pg_addr", Type: types.TextT, Nullable: true},
	{Name: "flight_addr", Type: types.TextT, Nullable: true},
	{Name: "gossip_addr", Type: types.TextT, Nullable: true},
	{Name: "state", Type: types.TextT},
	{Name: "cores", Type: types.Int32T, Nullable: true},
	{Name: "memory_limit", Type: types.Int64T, Nullable: true}, // bytes per query; NULL: unlimited
	{Name: "version", Type: types.TextT, Nullable: true},
	{Name: "protocol", Type: types.Int32T, Nullable: true},
	{Name: "is_self", Type: types.BoolT},
	{Name: "joined_at", Type: types.TimestampTZT, Nullable: true},
	{Name: "state_since", Type: types.TimestampTZT, Nullable: true},
}

func (n *Node) nodesRows() [][]any {
	members := n.Members()
	rows := make([][]any, 0, len(members))
	for _, m := range members {
		rows = append(rows, []any{
			m.Name, orNull(m.PGAddr), orNull(m.FlightAddr), orNull(m.GossipAddr), string(m.State),
			positive(int64(m.Cores)), positive(m.MemoryLimit), orNull(m.Version), positive(int64(m.Protocol)),
			m.IsSelf, micros(m.JoinedAt), micros(m.StateSince),
		})
	}
	return rows
}

func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func positive(v int64) any {
	if v <= 0 {
		return nil
	}
	return v
}

func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
