package replay

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestReplayMatchesPostgres runs every record on a real PostgreSQL that
// holds the same tables (empty, same column types) and on Basalt, and
// compares the column names, type OIDs and typmods of the answers. Every record must
// run on PostgreSQL, skipped ones included: that checks the transcription of
// the tools' statements. Values are not compared (OIDs, versions and row
// estimates differ by design).
func TestReplayMatchesPostgres(t *testing.T) {
	dsn := os.Getenv("BASALT_PG_DSN")
	if dsn == "" {
		t.Skip("BASALT_PG_DSN not set")
	}
	ctx := context.Background()
	pgCfg, err := setupPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := dropPostgres(context.Background(), dsn, pgCfg.Database); err != nil {
			t.Errorf("drop database %s: %v", pgCfg.Database, err)
		}
	})
	update := os.Getenv("BASALT_REPLAY_UPDATE") != ""
	for _, path := range files(t) {
		recs, err := ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tool := strings.TrimSuffix(path, ".sql")
		t.Run(tool, func(t *testing.T) {
			cfg := pgCfg.Copy()
			cfg.RuntimeParams["application_name"] = "replay-" + tool
			pg, err := pgconn.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer pg.Close(ctx)
			bc := connectBasalt(ctx, t, "replay-"+tool)
			pgVars, bVars := map[string]string{}, map[string]string{}
			diffs := map[*Record]string{}
			for _, r := range recs {
				po := run(ctx, pg, r, pgVars)
				if po.err != nil {
					t.Errorf("%s:%d %s: PostgreSQL rejects the record: %s", r.File, r.Line, r.Name, errText(po.err))
					continue
				}
				// PostgreSQL's tables are empty and its OIDs and names
				// differ, so only the expected column names are checked.
				if bad := check(&Record{Expects: columnExpects(r)}, po); len(bad) > 0 {
					t.Errorf("%s:%d %s: PostgreSQL's answer: %s", r.File, r.Line, r.Name, strings.Join(bad, "; "))
				}
				if r.Skip != "" {
					continue
				}
				bo := run(ctx, bc, r, bVars)
				if bo.err != nil {
					continue // TestReplay reports it
				}
				d := shapeDiff(po, bo)
				if d == "" && r.CompareRows {
					d = rowsDiff(po, bo)
				}
				if d == "" {
					continue
				}
				diffs[r] = d
				if r.ShapeDiff == "" && !update {
					t.Errorf("%s:%d %s: answer differs from PostgreSQL's: %s", r.File, r.Line, r.Name, d)
				}
			}
			if update {
				if err := rewriteHeaders(path, recs, "shapediff", diffs); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func columnExpects(r *Record) []Expect {
	var out []Expect
	for _, e := range r.Expects {
		if e.Kind == "columns" {
			out = append(out, e)
		}
	}
	return out
}

// shapeDiff describes how the column names and types of two outcomes differ.
func shapeDiff(pg, b outcome) string {
	if len(pg.sets) != len(b.sets) {
		return fmt.Sprintf("%d result sets, PostgreSQL %d", len(b.sets), len(pg.sets))
	}
	var out []string
	for i := range pg.sets {
		pf, bf := pg.sets[i].fields, b.sets[i].fields
		if len(pf) != len(bf) {
			out = append(out, fmt.Sprintf("%d columns, PostgreSQL %d", len(bf), len(pf)))
			continue
		}
		for j := range pf {
			if pf[j].Name != bf[j].Name {
				out = append(out, fmt.Sprintf("column %d named %q, PostgreSQL %q", j+1, bf[j].Name, pf[j].Name))
			}
			if pf[j].DataTypeOID != bf[j].DataTypeOID {
				out = append(out, fmt.Sprintf("%s is %s, PostgreSQL %s", pf[j].Name, typeName(bf[j].DataTypeOID), typeName(pf[j].DataTypeOID)))
			} else if pf[j].TypeModifier != bf[j].TypeModifier {
				// Clients size varchar(n) and numeric(p,s) columns by it.
				out = append(out, fmt.Sprintf("%s has typmod %d, PostgreSQL %d", pf[j].Name, bf[j].TypeModifier, pf[j].TypeModifier))
			}
		}
	}
	return strings.Join(out, "; ")
}

// rowsDiff compares the rows of two outcomes as sorted text.
func rowsDiff(pg, b outcome) string {
	for i := range pg.sets {
		p, q := sortedRows(pg.sets[i].rows), sortedRows(b.sets[i].rows)
		if len(p) != len(q) {
			return fmt.Sprintf("%d rows, PostgreSQL %d", len(q), len(p))
		}
		for j := range p {
			if p[j] != q[j] {
				return fmt.Sprintf("row %q, PostgreSQL %q", q[j], p[j])
			}
		}
	}
	return ""
}

func sortedRows(rows [][]*string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, c := range r {
			if c == nil {
				cells[j] = "NULL"
			} else {
				cells[j] = *c
			}
		}
		out[i] = strings.Join(cells, " | ")
	}
	sort.Strings(out)
	return out
}

var oidNames = map[uint32]string{
	16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 22: "int2vector", 23: "int4",
	24: "regproc", 25: "text", 26: "oid", 30: "oidvector", 194: "pg_node_tree", 700: "float4",
	701: "float8", 1005: "int2[]", 1007: "int4[]", 1009: "text[]", 1028: "oid[]", 1034: "aclitem[]",
	1042: "bpchar", 1043: "varchar", 1082: "date", 1083: "time", 1114: "timestamp",
	1184: "timestamptz", 1186: "interval", 1700: "numeric", 2205: "regclass", 2206: "regtype",
	3220: "pg_lsn", 28: "xid", 1003: "name[]", 1263: "cstring[]",
}

func typeName(oid uint32) string {
	if n, ok := oidNames[oid]; ok {
		return n
	}
	return fmt.Sprintf("oid %d", oid)
}

// setupPostgres creates a database of this run's own on the server at dsn
// with the TPC-H tables, empty, declared with the column types Basalt
// reports for them, and returns the connection config of that database.
// The name is per run: with one fixed name, a second run on the same server
// dropped the database under the first (or failed to, "being accessed by
// other users") and one of them failed.
func setupPostgres(ctx context.Context, dsn string) (*pgconn.Config, error) {
	ddl, err := basaltDDL(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Database = fmt.Sprintf("basalt_replay_%d_%d", os.Getpid(), time.Now().UnixNano())
	admin, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	// template0: nobody is connected to it, which CREATE DATABASE needs of
	// its template (template1 is where other tools' sessions sometimes sit).
	q := "CREATE DATABASE " + cfg.Database + " TEMPLATE template0"
	if _, err := admin.Exec(ctx, q).ReadAll(); err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	c, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		dropPostgres(ctx, dsn, cfg.Database)
		return nil, err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, ddl).ReadAll(); err != nil {
		dropPostgres(ctx, dsn, cfg.Database)
		return nil, fmt.Errorf("create the tables in PostgreSQL: %w", err)
	}
	return cfg, nil
}

// dropPostgres removes the run's database, ending sessions still in it.
func dropPostgres(ctx context.Context, dsn, database string) error {
	admin, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+database+" WITH (FORCE)").ReadAll()
	return err
}

// basaltDDL writes CREATE TABLE statements for the tables Basalt serves,
// from the column types its wire server describes for SELECT * of each and
// the nullability its information_schema reports.
func basaltDDL(ctx context.Context) (string, error) {
	ents, err := os.ReadDir(tpchDir)
	if err != nil {
		return "", err
	}
	c, err := pgconn.Connect(ctx, "postgres://tester@"+basaltAddr+"/basalt?sslmode=disable")
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		sd, err := c.Prepare(ctx, "", "SELECT * FROM "+n, nil)
		if err != nil {
			return "", fmt.Errorf("describe %s on basalt: %w", n, err)
		}
		// Columns Basalt reports as NOT NULL (Parquet's required
		// columns) are NOT NULL in PostgreSQL too, so nullability in the
		// catalogs compares; without a catalog every column is nullable.
		notNull := map[string]bool{}
		rr := c.ExecParams(ctx, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_nullable = 'NO'",
			[][]byte{[]byte(n)}, nil, nil, nil).Read()
		if rr.Err == nil {
			for _, row := range rr.Rows {
				notNull[string(row[0])] = true
			}
		}
		var cols []string
		for _, f := range sd.Fields {
			typ, err := ddlType(f.DataTypeOID, f.TypeModifier)
			if err != nil {
				return "", fmt.Errorf("%s.%s: %w", n, f.Name, err)
			}
			if notNull[f.Name] {
				typ += " NOT NULL"
			}
			cols = append(cols, fmt.Sprintf("%q %s", f.Name, typ))
		}
		fmt.Fprintf(&b, "CREATE TABLE public.%s (%s);\n", n, strings.Join(cols, ", "))
	}
	return b.String(), nil
}

// ddlType is the type name of a column as CREATE TABLE spells it, from the
// OID and type modifier of a RowDescription.
func ddlType(oid uint32, mod int32) (string, error) {
	switch oid {
	case 16:
		return "boolean", nil
	case 20:
		return "bigint", nil
	case 21:
		return "smallint", nil
	case 23:
		return "integer", nil
	case 700:
		return "real", nil
	case 701:
		return "double precision", nil
	case 25:
		return "text", nil
	case 17:
		return "bytea", nil
	case 1082:
		return "date", nil
	case 1083:
		return "time", nil
	case 1114:
		return "timestamp", nil
	case 1184:
		return "timestamptz", nil
	case 1186:
		return "interval", nil
	case 1043, 1042:
		name := map[uint32]string{1043: "varchar", 1042: "char"}[oid]
		if mod >= 4 {
			return fmt.Sprintf("%s(%d)", name, mod-4), nil
		}
		return name, nil
	case 1700:
		if mod >= 4 {
			return fmt.Sprintf("numeric(%d,%d)", (mod-4)>>16, (mod-4)&0xffff), nil
		}
		return "numeric", nil
	}
	return "", fmt.Errorf("no DDL for type OID %d", oid)
}
