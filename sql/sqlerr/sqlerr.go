// Package sqlerr defines the error value every user-facing failure carries:
// a PostgreSQL SQLSTATE, a message and, for syntax errors, a 1-based position
// in the user's original text. It imports nothing of the project so that every
// package may use it.
package sqlerr

import (
	"errors"
	"fmt"
)

// SQLSTATE codes used across the engine. Names follow PostgreSQL's errcodes.
const (
	SyntaxError               = "42601"
	UndefinedTable            = "42P01"
	UndefinedColumn           = "42703"
	UndefinedFunction         = "42883"
	AmbiguousColumn           = "42702"
	DuplicateAlias            = "42712"
	DatatypeMismatch          = "42804"
	GroupingError             = "42803"
	InvalidColumnReference    = "42P10"
	FeatureNotSupported       = "0A000"
	DivisionByZero            = "22012"
	NumericValueOutOfRange    = "22003"
	InvalidTextRepresentation = "22P02"
	InvalidDatetimeFormat     = "22007"
	DatetimeFieldOverflow     = "22008"
	StringDataRightTruncation = "22001"
	InvalidParameterValue     = "22023"
	CardinalityViolation      = "21000"
	InvalidRowCount           = "2201W"
	InvalidOffsetCount        = "2201X"
	InvalidEscapeSequence     = "22025"
	OutOfMemory               = "53200"
	QueryCanceled             = "57014"
	AdminShutdown             = "57P01"
	ConnectionFailure         = "08006"
	ProtocolViolation         = "08P01"
	InternalError             = "XX000"
	DataCorrupted             = "XX001"
	IOError                   = "58030"
	UndefinedObject           = "42704"
	InvalidSchemaDefinition   = "42P15"
	InvalidSchemaName         = "3F000" // schema "x" does not exist
	InvalidCatalogName        = "3D000"
	AmbiguousFunction         = "42725"
)

// Error is a user-facing error with a SQLSTATE.
type Error struct {
	Code     string
	Message  string
	Detail   string
	Hint     string
	Position int // 1-based character offset in the query text; 0 if none
	Err      error
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is/As see a wrapped cause.
func (e *Error) Unwrap() error { return e.Err }

// New builds an Error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap gives err a SQLSTATE and a message prefix, keeping it for errors.Is.
func Wrap(code string, err error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if msg != "" {
		msg += ": "
	}
	return &Error{Code: code, Message: msg + err.Error(), Err: err}
}

// WithPosition returns a copy of e pointing at pos.
func (e *Error) WithPosition(pos int) *Error {
	c := *e
	c.Position = pos
	return &c
}

// Code returns the SQLSTATE of err, or XX000 for errors that carry none.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return InternalError
}

// As returns err as an *Error, wrapping foreign errors as internal errors.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: InternalError, Message: err.Error(), Err: err}
}

// CannotCoerce is PostgreSQL's code for a cast that does not exist.
const CannotCoerce = "42846"

// WrongObjectType is PostgreSQL's 42809 (e.g. FILTER on a plain function).
const WrongObjectType = "42809"

// ProgramLimitExceeded is PostgreSQL's 54000.
const ProgramLimitExceeded = "54000"

// WindowingError is PostgreSQL's 42P20.
const WindowingError = "42P20"

// Window frame errors.
const (
	NullValueNotAllowed             = "22004"
	InvalidPrecedingOrFollowingSize = "22013"
)

// IndeterminateDatatype is PostgreSQL's 42P18.
const IndeterminateDatatype = "42P18"
