package pgwire

// SQLSTATEs only the wire protocol raises; the shared ones live in sql/sqlerr.
const (
	codeProtocolViolation           = "08P01"
	codeInvalidBinaryRepresentation = "22P03"
	codeCharacterNotInRepertoire    = "22021"
	codeInvalidCursorName           = "34000"
	codeInvalidSQLStatementName     = "26000"
	codeDuplicatePreparedStatement  = "42P05"
	codeDuplicateCursor             = "42P03"
	codeInFailedTransaction         = "25P02"
	codeActiveSQLTransaction        = "25001"
	codeNoActiveSQLTransaction      = "25P01"
	codeCantChangeRuntimeParam      = "55P02"
	codeAdminShutdown               = "57P01"
)
