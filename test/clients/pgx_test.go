package clients

import (
	"context"
	"database/sql/driver"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgx's exec modes choose between the extended protocol with cached or
// fresh statement descriptions (binary results for the types pgx knows)
// and the simple protocol (text results). The server/pgwire tests cover
// the protocol in detail; here every mode runs the 22 TPC-H queries and
// the catalog queries against the real binary.
var pgxModes = []struct {
	name string
	mode pgx.QueryExecMode
}{
	{"cache_statement", pgx.QueryExecModeCacheStatement},
	{"cache_describe", pgx.QueryExecModeCacheDescribe},
	{"describe_exec", pgx.QueryExecModeDescribeExec},
	{"exec", pgx.QueryExecModeExec},
	{"simple_protocol", pgx.QueryExecModeSimpleProtocol},
}

func TestClientsPgx(t *testing.T) {
	f := server(t)
	r := f.proxy(t, "pgx")
	for _, m := range pgxModes {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=basalt_test dbname=basalt sslmode=disable", f.host, r.port()))
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = m.mode
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			out := t.TempDir()
			client := "pgx/" + m.name

			tables, err := pgxLines(ctx, conn, "select table_name from information_schema.tables where table_schema = 'public' order by 1")
			writeOrErr(out, "tables", tables, err)
			cols, err := pgxLines(ctx, conn, `select a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
				from pg_catalog.pg_attribute a
				join pg_catalog.pg_class c on c.oid = a.attrelid
				join pg_catalog.pg_namespace n on n.oid = c.relnamespace
				where n.nspname = 'public' and c.relname = 'lineitem' and a.attnum > 0 and not a.attisdropped
				order by a.attnum`)
			writeOrErr(out, "columns", cols, err)

			// The types of a result's columns come from RowDescription and
			// need no catalog.
			t.Run("result_types", func(t *testing.T) {
				rows, err := conn.Query(ctx, "select l_orderkey, l_quantity, l_returnflag, l_shipdate from lineitem limit 1")
				if err != nil {
					t.Fatal(err)
				}
				fds := rows.FieldDescriptions()
				rows.Close()
				var got []string
				for _, fd := range fds {
					got = append(got, fmt.Sprintf("%s:%d", fd.Name, fd.DataTypeOID))
				}
				// int4 23, numeric 1700, text 25, date 1082.
				want := "l_orderkey:23 l_quantity:1700 l_returnflag:25 l_shipdate:1082"
				if strings.Join(got, " ") != want {
					gapOrFail(t, client+"/result_types", fmt.Sprintf("RowDescription %s, want %s", strings.Join(got, " "), want))
					return
				}
				if mod := fds[1].TypeModifier; mod != (15<<16|2)+4 {
					gapOrFail(t, client+"/result_types", fmt.Sprintf("l_quantity type modifier %d, want %d (numeric(15,2))", mod, (15<<16|2)+4))
					return
				}
				passed(t, client+"/result_types")
			})

			dir := filepath.Join(out, "tpch")
			os.MkdirAll(dir, 0o755)
			for _, q := range tpchQueries() {
				text, err := os.ReadFile(filepath.Join(f.queries, q+".sql"))
				if err != nil {
					t.Fatal(err)
				}
				res, err := pgxCSV(ctx, conn, string(text))
				writeOrErr(dir, q, res, err)
			}
			compareOutputs(t, client, f, out)
		})
	}
}

func writeOrErr(dir, name, text string, err error) {
	if err != nil {
		os.WriteFile(filepath.Join(dir, name+".err"), []byte(err.Error()), 0o644)
		return
	}
	ext := ".csv"
	if name == "tables" || name == "columns" {
		ext = ".txt"
	}
	os.WriteFile(filepath.Join(dir, name+ext), []byte(text), 0o644)
}

// pgxLines runs a query of one text column and returns its values, one a
// line (tables.txt and columns.txt are plain lines, not CSV).
func pgxLines(ctx context.Context, conn *pgx.Conn, sql string) (string, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return "", err
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	return strings.Join(vals, "\n") + "\n", nil
}

// pgxCSV runs a query and prints its result in the harness's CSV form.
func pgxCSV(ctx context.Context, conn *pgx.Conn, sql string) (string, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	var header []string
	for _, fd := range rows.FieldDescriptions() {
		header = append(header, fd.Name)
	}
	w.Write(header)
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", err
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			s, err := pgxText(v)
			if err != nil {
				return "", fmt.Errorf("column %s: %w", header[i], err)
			}
			rec[i] = s
		}
		w.Write(rec)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	w.Flush()
	return sb.String(), nil
}

// pgxText prints a decoded value as PostgreSQL's text output would.
func pgxText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		if x {
			return "t", nil
		}
		return "f", nil
	case int16, int32, int64:
		return fmt.Sprint(x), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02"), nil
		}
		return x.Format("2006-01-02 15:04:05.999999"), nil
	case driver.Valuer:
		// pgtype.Numeric and friends print themselves.
		dv, err := x.Value()
		if err != nil {
			return "", err
		}
		return pgxText(dv)
	}
	return "", fmt.Errorf("unexpected %T %v", v, v)
}
