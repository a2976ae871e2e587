package benchmarks

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// DuckDB is the reference engine: an in-memory DuckDB whose views read the
// same Parquet folders Basalt reads.
type DuckDB struct {
	db *sql.DB
}

// DuckDBConfig says how to set DuckDB up. Zero values keep DuckDB's defaults.
type DuckDBConfig struct {
	Threads     int
	MemoryLimit int64 // bytes
}

// OpenDuckDB opens an in-memory DuckDB with one view a table of dataDir, the
// way Basalt names tables: each sub-folder (read with hive partitioning) and
// each *.parquet file directly in dataDir.
func OpenDuckDB(ctx context.Context, dataDir string, cfg DuckDBConfig) (*DuckDB, error) {
	conn, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(conn)
	// One connection: settings are per connection, and a benchmark runs one
	// query at a time anyway.
	db.SetMaxOpenConns(1)
	d := &DuckDB{db: db}
	var stmts []string
	if cfg.Threads > 0 {
		stmts = append(stmts, fmt.Sprintf("SET threads = %d", cfg.Threads))
	}
	if cfg.MemoryLimit > 0 {
		stmts = append(stmts, fmt.Sprintf("SET memory_limit = '%dB'", cfg.MemoryLimit))
	}
	views, err := parquetTables(dataDir)
	if err != nil {
		d.Close()
		return nil, err
	}
	for _, name := range sortedKeys(views) {
		stmts = append(stmts, fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM %s", quoteIdent(name), views[name]))
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			d.Close()
			return nil, fmt.Errorf("duckdb: %s: %w", s, err)
		}
	}
	return d, nil
}

// parquetTables maps table names to DuckDB read_parquet calls.
func parquetTables(dataDir string) (map[string]string, error) {
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	out := map[string]string{}
	for _, e := range entries {
		p := filepath.Join(dataDir, e.Name())
		switch {
		case e.IsDir():
			files, _ := filepath.Glob(filepath.Join(p, "*.parquet"))
			nested, _ := filepath.Glob(filepath.Join(p, "*", "*"))
			if len(files) == 0 && len(nested) == 0 {
				continue
			}
			out[e.Name()] = fmt.Sprintf("read_parquet(%s, hive_partitioning = true, union_by_name = true)",
				quoteString(filepath.Join(p, "**", "*.parquet")))
		case strings.HasSuffix(e.Name(), ".parquet"):
			out[strings.TrimSuffix(e.Name(), ".parquet")] = fmt.Sprintf("read_parquet(%s)", quoteString(p))
		}
	}
	return out, nil
}

func quoteIdent(s string) string  { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteString(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// Close closes the database.
func (d *DuckDB) Close() error { return d.db.Close() }

// Query runs one statement and returns its rows as text, in PostgreSQL's
// spelling where the two differ (booleans t/f, dates YYYY-MM-DD).
func (d *DuckDB) Query(ctx context.Context, query string) (*Result, error) {
	start := time.Now()
	rows, err := d.db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	defer rows.Close()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	res := &Result{}
	for _, c := range cols {
		res.Columns = append(res.Columns, c.Name())
	}
	cells := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("duckdb: %w", err)
		}
		row := make([]Value, len(cols))
		for i, v := range cells {
			row[i] = duckValue(v, cols[i].DatabaseTypeName())
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// duckValue spells a scanned DuckDB value as PostgreSQL's text output would.
func duckValue(v any, dbType string) Value {
	switch x := v.(type) {
	case nil:
		return Value{Null: true}
	case string:
		return Value{S: x}
	case []byte:
		return Value{S: string(x)}
	case bool:
		if x {
			return Value{S: "t"}
		}
		return Value{S: "f"}
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64, int, uint:
		return Value{S: fmt.Sprint(x)}
	case *big.Int:
		return Value{S: x.String()}
	case float32:
		return Value{S: strconv.FormatFloat(float64(x), 'g', -1, 32)}
	case float64:
		return Value{S: strconv.FormatFloat(x, 'g', -1, 64)}
	case duckdb.Decimal:
		return Value{S: formatDecimal(x.Value, int(x.Scale))}
	case time.Time:
		switch {
		case dbType == "DATE":
			return Value{S: x.Format("2006-01-02")}
		case strings.HasPrefix(dbType, "TIMESTAMP"):
			return Value{S: x.Format("2006-01-02 15:04:05.999999")}
		case strings.HasPrefix(dbType, "TIME"):
			return Value{S: x.Format("15:04:05.999999")}
		}
		return Value{S: x.String()}
	}
	return Value{S: fmt.Sprint(v)}
}

// formatDecimal prints an unscaled integer with scale digits after the
// point, as PostgreSQL prints numeric.
func formatDecimal(unscaled *big.Int, scale int) string {
	s := new(big.Int).Abs(unscaled).String()
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if unscaled.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// sortedKeys gives the views a fixed creation order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
