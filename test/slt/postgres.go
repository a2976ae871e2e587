package slt

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Postgres is the reference half of the suite: a PostgreSQL database of its
// own, created for one run, holding the fixture tables in its public schema.
//
// A database, not a schema in the shared one: pg_class, pg_tables and
// information_schema show every schema of the database, so a second run on
// the same server at the same time (another checkout's go test, another CI
// job) made catalog.slt's records see its tables twice. They only see one
// database's objects, and the fixtures sit in public as they do in Basalt.
type Postgres struct {
	cfg      *pgconn.Config // connects to Database
	adminDSN string         // the database given by BASALT_PG_DSN, for CREATE/DROP
	Database string
}

// SetupPostgres creates a fresh database on the server at dsn and loads the
// fixture tables into it. Call Drop when done.
func SetupPostgres(ctx context.Context, dsn string, tables []*Table) (*Postgres, error) {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse BASALT_PG_DSN: %w", err)
	}
	p := &Postgres{cfg: cfg, adminDSN: dsn, Database: fmt.Sprintf("slt_%d_%d", os.Getpid(), time.Now().UnixNano())}
	admin, err := pgconn.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	// template0: nobody is ever connected to it, which CREATE DATABASE
	// needs of its template; C collation and UTF8 as in the test cluster.
	create := fmt.Sprintf("CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", p.Database)
	if _, err := admin.Exec(ctx, create).ReadAll(); err != nil {
		return nil, fmt.Errorf("create database for the fixtures: %w", err)
	}
	p.cfg.Database = p.Database
	conn, err := pgconn.ConnectConfig(ctx, p.cfg)
	if err != nil {
		p.Drop(ctx)
		return nil, fmt.Errorf("connect to PostgreSQL database %s: %w", p.Database, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, PostgresSQL(tables)).ReadAll(); err != nil {
		p.Drop(ctx)
		return nil, fmt.Errorf("load fixtures into PostgreSQL: %w", err)
	}
	return p, nil
}

// Config returns the connection settings of the run's database.
func (p *Postgres) Config() *pgconn.Config { return p.cfg.Copy() }

// DSN returns BASALT_PG_DSN pointed at the run's database, for tools such as
// psql that take a connection string.
func (p *Postgres) DSN() string {
	if u, err := url.Parse(p.adminDSN); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + p.Database
		return u.String()
	}
	// keyword=value form: a repeated keyword overrides the earlier one.
	return p.adminDSN + " dbname=" + p.Database
}

// Drop removes the database, ending any session still connected to it.
func (p *Postgres) Drop(ctx context.Context) error {
	conn, err := pgconn.Connect(ctx, p.adminDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+p.Database+" WITH (FORCE)").ReadAll()
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
	conn, err := pgconn.ConnectConfig(ctx, p.cfg)
	if err != nil {
		return nil, err
	}
	const setup = "SET search_path = public; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; " +
		"SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET statement_timeout = '60s'"
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
