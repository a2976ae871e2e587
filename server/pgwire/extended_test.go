package pgwire_test

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

var modes = map[string]pgx.QueryExecMode{
	"simple": pgx.QueryExecModeSimpleProtocol, "cache_statement": pgx.QueryExecModeCacheStatement,
	"cache_describe": pgx.QueryExecModeCacheDescribe, "describe_exec": pgx.QueryExecModeDescribeExec,
	"exec": pgx.QueryExecModeExec,
}

func TestExecModes(t *testing.T) {
	addr := startServer(t)
	ctx := context.Background()
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			c := connect(t, addr, mode)
			for k := 0; k < 2; k++ { // twice: cached statements are reused
				var (
					n   int64
					sum pgtype.Numeric
					d   time.Time
					s   string
				)
				err := c.QueryRow(ctx, "select count(*), sum(n), max(d), max(s) from t where id < $1::bigint and s <> $2::text and b = $3::boolean",
					int64(100), "sb", true).Scan(&n, &sum, &d, &s)
				if err != nil {
					t.Fatal(err)
				}
				sv, _ := sum.Value()
				if n != 50 || sv != "-22525.50" || d.Format("2006-01-02") != "2020-04-08" || s != "sy" {
					t.Errorf("got %d %v %s %s", n, sv, d, s)
				}
			}
			// Binary results of every type in the extended modes.
			var (
				f  float64
				ts time.Time
				b  bool
				i  *int32
				nm pgtype.Numeric
			)
			if err := c.QueryRow(ctx, "select f, ts, b, i, n from t where id = $1::bigint", int64(13)).Scan(&f, &ts, &b, &i, &nm); err != nil {
				t.Fatal(err)
			}
			nv, _ := nm.Value()
			if f != 3.25 || ts.UTC().Format("2006-01-02 15:04") != "2020-01-01 13:00" || b || i != nil || nv != "-486.87" {
				t.Errorf("row 13: %v %v %v %v %v", f, ts, b, i, nv)
			}
			_, err := c.Exec(ctx, "select nosuch from t where id = $1::bigint", int64(1))
			if sqlState(err) != "42703" {
				t.Errorf("error: %v", err)
			}
			var one int32
			if err := c.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
				t.Errorf("after error: %v", err)
			}
		})
	}
}

// TestPortalSuspension drives Execute with a row limit through a raw
// pgproto3 frontend, with unknown statements and portals.
func TestPortalSuspension(t *testing.T) {
	addr := startServer(t)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": "u", "database": "basalt"}})
	fe.Flush()
	expect := func(want ...string) []pgproto3.BackendMessage {
		t.Helper()
		var got []pgproto3.BackendMessage
		for _, w := range want {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, ok := m.(*pgproto3.ParameterStatus); !ok {
					break
				}
				if m, err = fe.Receive(); err != nil {
					t.Fatal(err)
				}
			}
			if typeName(m) != w {
				t.Fatalf("got %s (%+v), want %s", typeName(m), m, w)
			}
			got = append(got, m)
		}
		return got
	}
	expect("AuthenticationOk", "BackendKeyData", "ReadyForQuery")
	fe.Send(&pgproto3.Parse{Name: "s1", Query: "select id from t where id < $1 order by id"})
	fe.Send(&pgproto3.Bind{PreparedStatement: "s1", DestinationPortal: "p1", Parameters: [][]byte{[]byte("5")}})
	fe.Send(&pgproto3.Execute{Portal: "p1", MaxRows: 2})
	fe.Send(&pgproto3.Execute{Portal: "p1", MaxRows: 2})
	fe.Send(&pgproto3.Execute{Portal: "p1", MaxRows: 2})
	fe.Send(&pgproto3.Sync{})
	fe.Flush()
	msgs := expect("ParseComplete", "BindComplete", "DataRow", "DataRow", "PortalSuspended",
		"DataRow", "DataRow", "PortalSuspended", "DataRow", "CommandComplete", "ReadyForQuery")
	if v := string(msgs[8].(*pgproto3.DataRow).Values[0]); v != "4" {
		t.Errorf("fifth row %q", v)
	}
	// Unknown statement and portal: an error, then everything to Sync is skipped.
	fe.Send(&pgproto3.Bind{PreparedStatement: "nosuch"})
	fe.Send(&pgproto3.Execute{Portal: "p1"})
	fe.Send(&pgproto3.Sync{})
	fe.Send(&pgproto3.Execute{Portal: "nosuch"})
	fe.Send(&pgproto3.Sync{})
	fe.Flush()
	// Messages are reused by Receive: read each code before the next.
	for _, code := range []string{"26000", "34000"} {
		m := expect("ErrorResponse")
		if got := m[0].(*pgproto3.ErrorResponse).Code; got != code {
			t.Errorf("code %s, want %s", got, code)
		}
		expect("ReadyForQuery")
	}
	// Binary parameter, described statement.
	fe.Send(&pgproto3.Parse{Name: "s2", Query: "select $1::integer + 1 as x", ParameterOIDs: []uint32{23}})
	fe.Send(&pgproto3.Describe{ObjectType: 'S', Name: "s2"})
	fe.Send(&pgproto3.Bind{PreparedStatement: "s2", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 41}}, ResultFormatCodes: []int16{1}})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	fe.Flush()
	m := expect("ParseComplete", "ParameterDescription", "RowDescription", "BindComplete", "DataRow", "CommandComplete", "ReadyForQuery")
	if v := m[4].(*pgproto3.DataRow).Values[0]; string(v) != "\x00\x00\x00\x2a" {
		t.Errorf("binary result %x", v)
	}
}

func typeName(m any) string {
	s := ""
	switch m.(type) {
	case *pgproto3.AuthenticationOk:
		s = "AuthenticationOk"
	case *pgproto3.BackendKeyData:
		s = "BackendKeyData"
	case *pgproto3.ReadyForQuery:
		s = "ReadyForQuery"
	case *pgproto3.ParseComplete:
		s = "ParseComplete"
	case *pgproto3.BindComplete:
		s = "BindComplete"
	case *pgproto3.DataRow:
		s = "DataRow"
	case *pgproto3.PortalSuspended:
		s = "PortalSuspended"
	case *pgproto3.CommandComplete:
		s = "CommandComplete"
	case *pgproto3.ErrorResponse:
		s = "ErrorResponse"
	case *pgproto3.ParameterDescription:
		s = "ParameterDescription"
	case *pgproto3.RowDescription:
		s = "RowDescription"
	case *pgproto3.NoData:
		s = "NoData"
	default:
		s = "other"
	}
	return s
}

func TestBadInput(t *testing.T) {
	addr := startServer(t)
	inputs := [][]byte{
		{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8},
		{0, 0, 0, 8, 0, 2, 0, 0},            // protocol 2.0
		{0, 0, 0, 20, 0, 3, 0, 0, 'u', 's'}, // truncated startup
	}
	for _, in := range inputs {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(in)
		nc.(*net.TCPConn).CloseWrite()
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 512)
		n, _ := nc.Read(buf)
		if n > 0 && buf[0] != 'E' {
			t.Errorf("input %x: reply %q", in, buf[:n])
		}
		nc.Close()
	}
	c := connect(t, addr, pgx.QueryExecModeSimpleProtocol)
	var one int
	if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil {
		t.Fatalf("server stopped serving: %v", err)
	}
}

func TestPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed (apt-get install postgresql-client)")
	}
	addr := startServer(t)
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(psql, "-h", host, "-p", port, "-U", "u", "-d", "basalt", "-X", "-A", "-t", "-c", "select 1").CombinedOutput()
	if err != nil || string(out) != "1\n" {
		t.Fatalf("psql: %v: %q", err, out)
	}
}
