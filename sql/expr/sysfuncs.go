package expr

import "github.com/basaltdb/basalt/sql/types"

// Slice is arr[lo:hi]: __pg_slice(arr anyarray, lo int4, hi int4) returns
// the elements lo..hi clamped to the array (empty when they miss it), NULL
// when any argument is NULL. The front fills an omitted bound with the
// array's own (1, or the largest int4).
const Slice = "__pg_slice"

// resolveSys types the system functions clients call that run per row
// (the per-statement ones fold to constants in the binder):
// parse_ident, pg_encoding_to_char, pg_char_to_encoding, array_ndims,
// array_dims, clock_timestamp and pg_sleep.
func resolveSys(name string, args []types.T) (argTypes []types.T, ret types.T, ok bool) {
	n := len(args)
	I, T := types.Int32T, types.TextT
	switch name {
	case Slice:
		if n == 3 && args[0].Kind == types.Array && isIntish(args[1]) && isIntish(args[2]) {
			return []types.T{args[0], I, I}, args[0], true
		}
	case "similar_to_escape":
		if (n == 1 || n == 2) && allKind(args, isTextish) {
			return repeatT(T, n), T, true
		}
	case "parse_ident":
		if (n == 1 || n == 2) && isTextish(args[0]) && (n == 1 || args[1].Kind == types.Bool || args[1].Kind == types.Unknown) {
			return []types.T{T, types.BoolT}[:n], types.ArrayOf(T), true
		}
	case "pg_encoding_to_char":
		if n == 1 && isIntish(args[0]) {
			return []types.T{I}, T, true
		}
	case "pg_char_to_encoding":
		if n == 1 && isTextish(args[0]) {
			return []types.T{T}, I, true
		}
	case "array_ndims", "array_dims":
		if n == 1 && args[0].Kind == types.Array {
			if name == "array_dims" {
				return args, T, true
			}
			return args, I, true
		}
	case "clock_timestamp", "timeofday":
		if n == 0 {
			if name == "timeofday" {
				return nil, T, true
			}
			return nil, types.TimestampTZT, true
		}
	case "pg_sleep":
		// pg_sleep returns void, whose text output is empty: an empty
		// text value prints the same.
		if n == 1 && (args[0].IsNumeric() || args[0].Kind == types.Unknown) {
			return []types.T{types.Float64T}, T, true
		}
	}
	return nil, types.T{}, false
}
