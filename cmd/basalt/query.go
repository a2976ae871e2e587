package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/pgtext"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

func asSQL(err error, target **sqlerr.Error) bool { return errors.As(err, target) }

func queryCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	data := fs.String("data", ".", "data directory: one table per sub-folder or top-level *.parquet file")
	format := fs.String("format", "table", "output format: table, csv or json")
	file := fs.String("f", "", "read SQL from this file")
	memLimit := fs.String("memory-limit", "", "memory limit per query, e.g. 512MB or 4GiB")
	if err := fs.Parse(reorder(args, map[string]bool{"data": true, "format": true, "f": true, "memory-limit": true})); err != nil {
		return err
	}
	var text string
	switch {
	case *file != "":
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		text = string(b)
	case fs.NArg() > 0:
		text = strings.Join(fs.Args(), " ")
	default:
		return fmt.Errorf("no SQL given (pass it as an argument or with -f FILE)")
	}
	if *format != "table" && *format != "csv" && *format != "json" {
		return fmt.Errorf("unknown format %q (table, csv or json)", *format)
	}
	limit, err := ParseSize(*memLimit)
	if err != nil {
		return err
	}
	if limit > 0 {
		// The budget counts what operators reserve; the Go heap also holds
		// garbage not yet collected. A soft heap limit a little above the
		// budget makes the collector keep the process near it.
		debug.SetMemoryLimit(limit + limit/4 + 64<<20)
	}
	stmts, err := pgfront.Parse(text)
	if err != nil {
		return err
	}
	if len(stmts) == 0 {
		return fmt.Errorf("no SQL statement given")
	}
	eng, err := engine.Open(ctx, engine.Config{DataDir: *data, MemoryLimit: limit})
	if err != nil {
		return err
	}
	defer eng.Close()
	w := bufio.NewWriterSize(stdout, 1<<16)
	defer w.Flush()
	for i := range stmts {
		if err := runOne(ctx, eng, &stmts[i], *format, w); err != nil {
			w.Flush()
			return err
		}
	}
	return nil
}

// reorder lets flags follow the SQL argument (`basalt query "select 1" --data d`).
func reorder(args []string, withValue map[string]bool) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 && a != "--" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && withValue[name] && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}

// ParseSize reads sizes such as 512MB, 4GiB, 1024 (bytes). KB/MB/GB are
// binary multiples, as in PostgreSQL's settings.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	num := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	mult := map[string]int64{"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
		"G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size unit in %q (use B, KB, MB, GB, TB or KiB, MiB, GiB, TiB)", s)
	}
	return n * mult, nil
}

func runOne(ctx context.Context, eng *engine.Engine, st *pgfront.Statement, format string, w *bufio.Writer) error {
	res, err := eng.Run(ctx, nil, st)
	if err != nil {
		return err
	}
	defer res.Close()
	defer showProgress(res)()
	switch format {
	case "csv":
		return writeCSV(ctx, res, w)
	case "json":
		return writeJSON(ctx, res, w)
	}
	return writeTable(ctx, res, w)
}

func forEachBatch(ctx context.Context, res *engine.Result, f func(arrow.RecordBatch) error) error {
	for {
		b, err := res.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(b); err != nil {
			return err
		}
	}
}

func writeCSV(ctx context.Context, res *engine.Result, w io.Writer) error {
	cw := csv.NewWriter(w)
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, len(res.Columns))
	err := forEachBatch(ctx, res, func(b arrow.RecordBatch) error {
		for r := 0; r < int(b.NumRows()); r++ {
			for c := range res.Columns {
				s, isNull := pgtext.Format(b.Column(c), r, res.Columns[c].Type)
				if isNull {
					s = ""
				}
				row[c] = s
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		return nil
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

func writeJSON(ctx context.Context, res *engine.Result, w io.Writer) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	first := true
	err := forEachBatch(ctx, res, func(b arrow.RecordBatch) error {
		for r := 0; r < int(b.NumRows()); r++ {
			var sb strings.Builder
			if !first {
				sb.WriteString(",")
			}
			first = false
			sb.WriteString("\n{")
			for c, col := range res.Columns {
				if c > 0 {
					sb.WriteString(",")
				}
				k, _ := json.Marshal(col.Name)
				sb.Write(k)
				sb.WriteString(":")
				s, isNull := pgtext.Format(b.Column(c), r, col.Type)
				switch {
				case isNull:
					sb.WriteString("null")
				case col.Type.Kind == types.Bool:
					if s == "t" {
						sb.WriteString("true")
					} else {
						sb.WriteString("false")
					}
				case col.Type.IsInteger() || col.Type.Kind == types.Numeric ||
					(col.Type.IsFloat() && s != "NaN" && s != "Infinity" && s != "-Infinity"):
					sb.WriteString(s)
				default:
					v, _ := json.Marshal(s)
					sb.Write(v)
				}
			}
			sb.WriteString("}")
			if _, err := io.WriteString(w, sb.String()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n]\n")
	return err
}

// writeTable prints psql's aligned format. It buffers the result, since
// column widths depend on every row.
func writeTable(ctx context.Context, res *engine.Result, w io.Writer) error {
	n := len(res.Columns)
	widths := make([]int, n)
	for i, c := range res.Columns {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	var rows [][]string
	err := forEachBatch(ctx, res, func(b arrow.RecordBatch) error {
		for r := 0; r < int(b.NumRows()); r++ {
			row := make([]string, n)
			for c := range res.Columns {
				s, isNull := pgtext.Format(b.Column(c), r, res.Columns[c].Type)
				if isNull {
					s = ""
				}
				row[c] = s
				widths[c] = max(widths[c], utf8.RuneCountInString(s))
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	right := make([]bool, n)
	for i, c := range res.Columns {
		right[i] = c.Type.IsNumeric()
	}
	pad := func(s string, width int, r bool) string {
		p := strings.Repeat(" ", width-utf8.RuneCountInString(s))
		if r {
			return p + s
		}
		return s + p
	}
	var sb strings.Builder
	for i, c := range res.Columns {
		if i > 0 {
			sb.WriteString("|")
		}
		name := c.Name
		total := widths[i] - utf8.RuneCountInString(name)
		sb.WriteString(" " + strings.Repeat(" ", total/2) + name + strings.Repeat(" ", total-total/2) + " ")
	}
	sb.WriteString("\n")
	for i := range res.Columns {
		if i > 0 {
			sb.WriteString("+")
		}
		sb.WriteString(strings.Repeat("-", widths[i]+2))
	}
	sb.WriteString("\n")
	for _, row := range rows {
		for i, s := range row {
			if i > 0 {
				sb.WriteString("|")
			}
			sb.WriteString(" " + pad(s, widths[i], right[i]) + " ")
		}
		sb.WriteString("\n")
	}
	if len(rows) == 1 {
		sb.WriteString("(1 row)\n")
	} else {
		fmt.Fprintf(&sb, "(%d rows)\n", len(rows))
	}
	_, err = io.WriteString(w, sb.String())
	return err
}

// showProgress draws a one-line progress display on stderr while a query
// runs longer than a second, when stderr is a terminal. The returned func
// stops it and clears the line.
func showProgress(res *engine.Result) func() {
	fi, err := os.Stderr.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		drawn := false
		for {
			select {
			case <-stop:
				if drawn {
					fmt.Fprint(os.Stderr, "\r\033[K")
				}
				return
			case <-tick.C:
				el := time.Since(start)
				if el < time.Second {
					continue
				}
				done, total := res.Progress()
				fmt.Fprintf(os.Stderr, "\r\033[Kreading row groups %d/%d  %.1fs", done, total, el.Seconds())
				drawn = true
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
	}
}
