package slt

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Postgres is the reference half of the suite: a PostgreSQL database holding
// the fixture tables in a schema of their own.
type Postgres struct {
	dsn    string
	Schema string
}

// SetupPostgres creates a fresh schema in the database at dsn and loads the
// fixture tables into it. Call Drop when done.
func SetupPostgres(ctx context.Context, dsn string, tables []*Table) (*Postgres, error) {
	p := &Postgres{dsn: dsn, Schema: fmt.Sprintf("slt_%d", time.Now().UnixNano())}
	conn, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	script := fmt.Sprintf("CREATE SCHEMA %s; SET search_path = %s;\n", p.Schema, p.Schema) + PostgresSQL(tables)
	if _, err := conn.Exec(ctx, script).ReadAll(); err != nil {
		return nil, fmt.Errorf("load fixtures into PostgreSQL: %w", err)
	}
	return p, nil
}

// Drop removes the schema and everything in it.
func (p *Postgres) Drop(ctx context.Context) error {
	conn, err := pgconn.Connect(ctx, p.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA "+p.Schema+" CASCADE").ReadAll()
	return err
}

// Session is one connection, used for one .slt file.
type Session struct {
	conn *pgconn.PgConn
}

// Session opens a connection whose settings make PostgreSQL print values
// the way the expected outputs are written: UTC, ISO dates, default float
// digits.
func (p *Postgres) Session(ctx context.Context) (*Session, error) {
	conn, err := pgconn.Connect(ctx, p.dsn)
	if err != nil {
		return nil, err
	}
	setup := fmt.Sprintf("SET search_path = %s; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; "+
		"SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET statement_timeout = '60s'", p.Schema)
	if _, err := conn.Exec(ctx, setup).ReadAll(); err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return &Session{conn: conn}, nil
}

// Close ends the session.
func (s *Session) Close(ctx context.Context) error { return s.conn.Close(ctx) }

// Run executes a record's SQL with the simple query protocol, so that values
// come back in PostgreSQL's own text output, and formats the result.
func (s *Session) Run(ctx context.Context, r *Record) *Outcome {
	var (
		fields  []pgconn.FieldDescription
		rows    [][]string
		results int
		rowErr  error
	)
	mrr := s.conn.Exec(ctx, r.SQL)
	for mrr.NextResult() {
		results++
		rr := mrr.ResultReader()
		// Read the description here, not from the rows: a result without
		// rows still has columns, and their types are checked.
		fields = append([]pgconn.FieldDescription(nil), rr.FieldDescriptions()...)
		for rr.NextRow() {
			vals := make([]string, len(rr.Values()))
			for j, v := range rr.Values() {
				vals[j] = FormatValue(string(v), v == nil)
			}
			rows = append(rows, vals)
		}
		if _, err := rr.Close(); err != nil && rowErr == nil {
			rowErr = err
		}
	}
	err := mrr.Close()
	if err == nil {
		err = rowErr
	}
	if err == nil && results != 1 {
		err = fmt.Errorf("expected one statement, got %d results", results)
	}
	if err != nil {
		o := &Outcome{Err: err, ErrCode: "XX000"}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			o.ErrCode = pgErr.Code
		}
		return o
	}
	tc := make([]byte, len(fields))
	for i, fd := range fields {
		tc[i] = oidTypeChar(fd.DataTypeOID)
	}
	return &Outcome{Types: string(tc), Rows: FinishRows(rows, r.Sort)}
}

// oidTypeChar classes a PostgreSQL type OID like TypeChar.
func oidTypeChar(oid uint32) byte {
	switch oid {
	case 20, 21, 23, 26: // int8, int2, int4, oid
		return 'I'
	case 700, 701, 1700: // float4, float8, numeric
		return 'R'
	case 16:
		return 'B'
	}
	return 'T'
}
