package pgwire

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/server/engine"
	"github.com/basaltdb/basalt/sql/pgfront"
	"github.com/basaltdb/basalt/sql/sqlerr"
	"github.com/basaltdb/basalt/sql/types"
)

// COPY ... TO STDOUT streams a query's rows in PostgreSQL's text, CSV or
// binary COPY format: CopyOutResponse, one CopyData a row (the binary
// header travels with the first row, as PostgreSQL sends it), CopyDone
// and "COPY n". Rows are encoded batch by batch through conn.pump, so
// memory stays bounded however large the result. Basalt is read-only:
// COPY FROM fails as in a read-only transaction, and COPY to or from
// server files and programs needs privileges no Basalt user has.

const (
	codeInsufficientPrivilege = "42501"
	codeReadOnlyTransaction   = "25006"
	codeInvalidColumnRef      = "42P10"
	codeDuplicateColumn       = "42701"
	codeUndefinedColumn       = "42703"
)

// copyFormat is COPY's options after PostgreSQL's checks.
type copyFormat struct {
	format        string // text, csv or binary
	header        bool
	delim         byte
	null          string
	quote, escape byte
	forceQuoteAll bool
	forceQuote    []string
	hasForceQuote bool
}

// binarySignature starts every binary COPY stream: "PGCOPY\n\377\r\n\0",
// then the flags and header extension length (both zero).
var binarySignature = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyOptions checks COPY's options as PostgreSQL's ProcessCopyOptions
// does, with its messages and SQLSTATEs.
func copyOptions(cs *pgfront.CopySpec) (*copyFormat, error) {
	f := &copyFormat{format: "text"}
	seen := map[string]bool{}
	var delim, null, quote, escape *string
	var forceNotNull, forceNull bool
	str := func(o pgfront.CopyOption) string {
		if o.IsList || o.Star {
			return ""
		}
		return o.Value
	}
	for _, o := range cs.Options {
		if seen[o.Name] {
			return nil, &sqlerr.Error{Code: sqlerr.SyntaxError, Message: "conflicting or redundant options", Position: o.Pos}
		}
		seen[o.Name] = true
		v := str(o)
		switch o.Name {
		case "format":
			switch strings.ToLower(v) {
			case "text", "csv", "binary":
				f.format = strings.ToLower(v)
			default:
				return nil, &sqlerr.Error{Code: sqlerr.InvalidParameterValue, Message: "COPY format \"" + v + "\" not recognized", Position: o.Pos}
			}
		case "freeze":
			if _, err := copyBool(o); err != nil {
				return nil, err
			}
		case "delimiter":
			delim = &v
		case "null":
			null = &v
		case "header":
			h, err := copyHeader(o)
			if err != nil {
				return nil, err
			}
			f.header = h
		case "quote":
			quote = &v
		case "escape":
			escape = &v
		case "force_quote":
			switch {
			case o.Star:
				f.forceQuoteAll = true
			case o.IsList:
				f.forceQuote = o.List
			default:
				return nil, &sqlerr.Error{Code: sqlerr.InvalidParameterValue, Message: "argument to option \"force_quote\" must be a list of column names", Position: o.Pos}
			}
			f.hasForceQuote = true
		case "force_not_null", "force_null":
			if !o.IsList {
				return nil, &sqlerr.Error{Code: sqlerr.InvalidParameterValue, Message: "argument to option \"" + o.Name + "\" must be a list of column names", Position: o.Pos}
			}
			if o.Name == "force_null" {
				forceNull = true
			} else {
				forceNotNull = true
			}
		case "encoding":
			if err := copyEncoding(o); err != nil {
				return nil, err
			}
		default:
			return nil, &sqlerr.Error{Code: sqlerr.SyntaxError, Message: "option \"" + o.Name + "\" not recognized", Position: o.Pos}
		}
	}
	binaryMode, csv := f.format == "binary", f.format == "csv"
	if binaryMode && delim != nil {
		return nil, sqlerr.New(sqlerr.SyntaxError, "cannot specify DELIMITER in BINARY mode")
	}
	if binaryMode && null != nil {
		return nil, sqlerr.New(sqlerr.SyntaxError, "cannot specify NULL in BINARY mode")
	}
	d, n := "\t", `\N`
	if csv {
		d, n = ",", ""
	}
	if delim != nil {
		d = *delim
	}
	if null != nil {
		n = *null
	}
	q, e := `"`, ""
	if quote != nil {
		q = *quote
	}
	if escape != nil {
		e = *escape
	} else {
		e = q
	}
	if len(d) != 1 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	if d == "\n" || d == "\r" {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if strings.ContainsAny(n, "\r\n") {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	// Text-mode data uses backslash escapes, so the delimiter may not be a
	// character that can follow a backslash.
	if !csv && strings.Contains(`\.abcdefghijklmnopqrstuvwxyz0123456789`, d) {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter cannot be \"%s\"", d)
	}
	if binaryMode && f.header {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
	}
	if !csv && quote != nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY quote available only in CSV mode")
	}
	if csv && len(q) != 1 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY quote must be a single one-byte character")
	}
	if csv && d == q {
		return nil, sqlerr.New(sqlerr.InvalidParameterValue, "COPY delimiter and quote must be different")
	}
	if !csv && escape != nil {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY escape available only in CSV mode")
	}
	if csv && len(e) != 1 {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY escape must be a single one-byte character")
	}
	if !csv && f.hasForceQuote {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY force quote available only in CSV mode")
	}
	if forceNotNull {
		if !csv {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY force not null available only in CSV mode")
		}
		if !cs.From {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY force not null only available using COPY FROM")
		}
	}
	if forceNull {
		if !csv {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY force null available only in CSV mode")
		}
		if !cs.From {
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY force null only available using COPY FROM")
		}
	}
	if !binaryMode && strings.Contains(n, d) {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "COPY delimiter must not appear in the NULL specification")
	}
	if csv && strings.Contains(n, q) {
		return nil, sqlerr.New(sqlerr.FeatureNotSupported, "CSV quote character must not appear in the NULL specification")
	}
	f.delim, f.null = d[0], n
	if csv {
		f.quote, f.escape = q[0], e[0]
	}
	return f, nil
}

// copyBool reads a Boolean option as PostgreSQL's defGetBoolean: no
// argument is true; 1/0, true/false, on/off (any case) are accepted.
func copyBool(o pgfront.CopyOption) (bool, error) {
	if o.NoValue {
		return true, nil
	}
	if !o.IsList && !o.Star {
		switch strings.ToLower(o.Value) {
		case "1", "true", "on":
			return true, nil
		case "0", "false", "off":
			return false, nil
		}
	}
	return false, sqlerr.New(sqlerr.SyntaxError, "%s requires a Boolean value", o.Name)
}

// copyHeader is HEADER's Boolean, where "match" is a COPY FROM choice.
func copyHeader(o pgfront.CopyOption) (bool, error) {
	if !o.NoValue && !o.IsList && !o.Star && strings.EqualFold(o.Value, "match") {
		return false, sqlerr.New(sqlerr.FeatureNotSupported, "cannot use \"match\" with HEADER in COPY TO")
	}
	b, err := copyBool(o)
	if err != nil {
		return false, sqlerr.New(sqlerr.SyntaxError, "header requires a Boolean value or \"match\"")
	}
	return b, nil
}

// pgEncodings are PostgreSQL's encoding names (normalised: lower case,
// no '-' or '_'); Basalt writes UTF8 only, and SQL_ASCII means no
// conversion at all.
var pgEncodings = map[string]bool{
	"utf8": true, "unicode": true, "sqlascii": true,
	"latin1": false, "latin2": false, "latin3": false, "latin4": false, "latin5": false, "latin6": false,
	"latin7": false, "latin8": false, "latin9": false, "latin10": false, "win1250": false, "win1251": false,
	"win1252": false, "win1253": false, "win1254": false, "win1255": false, "win1256": false, "win1257": false,
	"win1258": false, "win866": false, "win874": false, "koi8r": false, "koi8u": false, "eucjp": false,
	"euccn": false, "euckr": false, "euctw": false, "eucjis2004": false, "sjis": false, "big5": false,
	"gbk": false, "uhc": false, "gb18030": false, "johab": false, "shiftjis2004": false, "mulecinternal": false,
	"iso88595": false, "iso88596": false, "iso88597": false, "iso88598": false,
}

func copyEncoding(o pgfront.CopyOption) error {
	norm := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(o.Value))
	ok, known := pgEncodings[norm]
	switch {
	case o.IsList || o.Star || o.NoValue || !known:
		return &sqlerr.Error{Code: sqlerr.InvalidParameterValue, Message: "argument to option \"encoding\" must be a valid encoding name", Position: o.Pos}
	case !ok:
		return sqlerr.New(sqlerr.FeatureNotSupported, "COPY with ENCODING '%s' is not supported: Basalt sends UTF8", o.Value)
	}
	return nil
}

// runCopy runs COPY ... TO STDOUT.
func (c *conn) runCopy(sp *pgfront.Special) error {
	cs := sp.Copy
	switch {
	case cs.Target == "program":
		return &sqlerr.Error{Code: codeInsufficientPrivilege, Message: "must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program",
			Hint: "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."}
	case cs.Target == "file" && cs.From:
		return &sqlerr.Error{Code: codeInsufficientPrivilege, Message: "must be superuser or have privileges of the pg_read_server_files role to COPY from a file",
			Hint: "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."}
	case cs.Target == "file":
		return &sqlerr.Error{Code: codeInsufficientPrivilege, Message: "must be superuser or have privileges of the pg_write_server_files role to COPY to a file",
			Hint: "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."}
	case cs.From:
		return sqlerr.New(codeReadOnlyTransaction, "cannot execute COPY FROM in a read-only transaction")
	}
	// STDIN and STDOUT both name the client: PostgreSQL runs COPY ... TO
	// STDIN as TO STDOUT.
	f, err := copyOptions(cs)
	if err != nil {
		return err
	}
	for i, a := range cs.Columns {
		for _, b := range cs.Columns[:i] {
			if a == b {
				return sqlerr.New(codeDuplicateColumn, "column \"%s\" specified more than once", a)
			}
		}
	}
	p, err := c.newPortal("", sp.Query, nil)
	if err != nil {
		return tableQueryError(cs, err)
	}
	defer p.close()
	quoted, err := forceQuoted(cs, f, p.cols)
	if err != nil {
		return err
	}
	overall := int8(0)
	colFormats := make([]uint16, len(p.cols))
	if f.format == "binary" {
		overall = 1
		for i, col := range p.cols {
			// An untyped NULL column has only NULLs, which need no encoder.
			if col.Type.Kind != types.Unknown && !binarySupported(col.Type) {
				return sqlerr.New(sqlerr.FeatureNotSupported, "binary output of type %s is not supported", col.Type)
			}
			colFormats[i] = 1
		}
	}
	c.send(&pgproto3.CopyOutResponse{OverallFormat: byte(overall), ColumnFormatCodes: colFormats})
	single := len(p.cols) == 1
	var prefix []byte
	if f.format == "binary" {
		prefix = binarySignature
	} else if f.header {
		start := c.beginCopyData()
		for i, col := range p.cols {
			if i > 0 {
				c.out = append(c.out, f.delim)
			}
			if f.format == "csv" {
				c.out = appendCopyCSV(c.out, []byte(col.Name), f, false, single)
			} else {
				c.out = appendCopyText(c.out, []byte(col.Name), f.delim)
			}
		}
		c.out = append(c.out, '\n')
		c.endCopyData(start)
	}
	var scratch []byte
	encs := make([]valueEncoder, len(p.cols))
	n, _, err := c.pump(p, 0, func(rec arrow.RecordBatch, from, to int) {
		for i := range encs {
			encs[i] = encoderFor(rec.Column(i), p.cols[i].Type, int16(colFormats[i]))
		}
		be := binary.BigEndian
		for r := from; r < to; r++ {
			start := c.beginCopyData()
			if prefix != nil {
				c.out = append(c.out, prefix...)
				prefix = nil
			}
			if f.format == "binary" {
				c.out = be.AppendUint16(c.out, uint16(len(encs)))
			}
			for i, enc := range encs {
				null := rec.Column(i).IsNull(r)
				switch f.format {
				case "binary":
					if null {
						c.out = be.AppendUint32(c.out, math.MaxUint32)
						continue
					}
					lp := len(c.out)
					c.out = append(c.out, 0, 0, 0, 0)
					c.out = enc(c.out, r)
					be.PutUint32(c.out[lp:], uint32(len(c.out)-lp-4))
					continue
				}
				if i > 0 {
					c.out = append(c.out, f.delim)
				}
				if null {
					c.out = append(c.out, f.null...)
					continue
				}
				scratch = enc(scratch[:0], r)
				if f.format == "csv" {
					c.out = appendCopyCSV(c.out, scratch, f, quoted[i], single)
				} else {
					c.out = appendCopyText(c.out, scratch, f.delim)
				}
			}
			if f.format != "binary" {
				c.out = append(c.out, '\n')
			}
			c.endCopyData(start)
		}
	})
	if err != nil {
		return err
	}
	if f.format == "binary" {
		start := c.beginCopyData()
		c.out = append(c.out, prefix...)
		c.out = binary.BigEndian.AppendUint16(c.out, 0xffff)
		c.endCopyData(start)
	}
	c.send(&pgproto3.CopyDone{})
	c.send(&pgproto3.CommandComplete{CommandTag: []byte("COPY " + strconv.FormatInt(n, 10))})
	return nil
}

// tableQueryError words errors of COPY table's SELECT as PostgreSQL words
// COPY's: no position (the SELECT is not the user's text) and columns
// named with their relation.
func tableQueryError(cs *pgfront.CopySpec, err error) error {
	if cs.Table == nil {
		return err
	}
	e := *sqlerr.As(err)
	e.Position = 0
	if e.Code == codeUndefinedColumn && strings.HasPrefix(e.Message, "column \"") && strings.HasSuffix(e.Message, "\" does not exist") {
		e.Message = strings.TrimSuffix(e.Message, " does not exist") + " of relation \"" + cs.Table[len(cs.Table)-1] + "\" does not exist"
	}
	return &e
}

// forceQuoted resolves FORCE_QUOTE to one flag a column.
func forceQuoted(cs *pgfront.CopySpec, f *copyFormat, cols []engine.Column) ([]bool, error) {
	q := make([]bool, len(cols))
	if f.forceQuoteAll {
		for i := range q {
			q[i] = true
		}
		return q, nil
	}
	for i, name := range f.forceQuote {
		for _, prev := range f.forceQuote[:i] {
			if prev == name {
				return nil, sqlerr.New(codeDuplicateColumn, "column \"%s\" specified more than once", name)
			}
		}
		found := false
		for j, col := range cols {
			// The first column of that name, as PostgreSQL's CopyGetAttnums
			// finds it for a query's output.
			if col.Name == name {
				q[j] = true
				found = true
				break
			}
		}
		if found {
			continue
		}
		switch {
		case cs.Table == nil:
			return nil, sqlerr.New(codeUndefinedColumn, "column \"%s\" does not exist", name)
		case cs.Columns != nil:
			return nil, sqlerr.New(codeInvalidColumnRef, "FORCE_QUOTE column \"%s\" not referenced by COPY", name)
		default:
			return nil, sqlerr.New(codeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, cs.Table[len(cs.Table)-1])
		}
	}
	return q, nil
}

// beginCopyData starts a CopyData message in c.out; endCopyData writes its
// length once the contents are appended.
func (c *conn) beginCopyData() int {
	start := len(c.out)
	c.out = append(c.out, 'd', 0, 0, 0, 0)
	return start
}

func (c *conn) endCopyData(start int) {
	binary.BigEndian.PutUint32(c.out[start+1:], uint32(len(c.out)-start-1))
}

// appendCopyText escapes one value for text COPY as PostgreSQL's
// CopyAttributeOutText: backslash, the delimiter and the control
// characters \b \f \n \r \t \v get a backslash; other control characters
// pass through unless they are the delimiter.
func appendCopyText(dst, v []byte, delim byte) []byte {
	start := 0
	for i := 0; i < len(v); i++ {
		ch := v[i]
		var esc byte
		switch {
		case ch < 0x20:
			switch ch {
			case '\b':
				esc = 'b'
			case '\f':
				esc = 'f'
			case '\n':
				esc = 'n'
			case '\r':
				esc = 'r'
			case '\t':
				esc = 't'
			case '\v':
				esc = 'v'
			default:
				if ch != delim {
					continue
				}
				esc = ch
			}
		case ch == '\\' || ch == delim:
			esc = ch
		default:
			continue
		}
		dst = append(dst, v[start:i]...)
		dst = append(dst, '\\', esc)
		start = i + 1
	}
	return append(dst, v[start:]...)
}

// appendCopyCSV writes one value for CSV COPY as PostgreSQL's
// CopyAttributeOutCSV: quoted when forced, when it equals the NULL string
// (so it reads back as a value), when it is \. alone on a line, or when it
// holds the delimiter, the quote or a line break; inside quotes the quote
// and escape characters are escaped.
func appendCopyCSV(dst, v []byte, f *copyFormat, force, single bool) []byte {
	use := force || string(v) == f.null
	if !use {
		if single && string(v) == `\.` {
			use = true
		} else {
			for _, ch := range v {
				if ch == f.delim || ch == f.quote || ch == '\n' || ch == '\r' {
					use = true
					break
				}
			}
		}
	}
	if !use {
		return append(dst, v...)
	}
	dst = append(dst, f.quote)
	start := 0
	for i, ch := range v {
		if ch == f.quote || ch == f.escape {
			dst = append(dst, v[start:i]...)
			dst = append(dst, f.escape)
			start = i
		}
	}
	dst = append(dst, v[start:]...)
	return append(dst, f.quote)
}
