package storage

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/basaltdb/basalt/sql/types"
)

// hiveNull is the folder value Hive, Spark and DuckDB write for a NULL
// partition key.
const hiveNull = "__HIVE_DEFAULT_PARTITION__"

// partKV is one key=value folder on a file's path, still as text.
type partKV struct {
	key   string
	value string
	null  bool
}

// partitionsOf returns the key=value folders between the table's folder and
// the file, outermost first. Folders without '=' are plain sub-folders and
// carry no column.
func partitionsOf(tableDir, file string) []partKV {
	rel, err := filepath.Rel(tableDir, filepath.Dir(file))
	if err != nil || rel == "." {
		return nil
	}
	var out []partKV
	for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			continue
		}
		// Writers percent-escape special characters in folder names.
		if uk, err := url.PathUnescape(k); err == nil {
			k = uk
		}
		if v == hiveNull {
			out = append(out, partKV{key: k, null: true})
			continue
		}
		if uv, err := url.PathUnescape(v); err == nil {
			v = uv
		}
		out = append(out, partKV{key: k, value: v})
	}
	return out
}

// inferPartitionType picks the narrowest type that holds every non-NULL
// value: bigint if all are integers, else date if all are YYYY-MM-DD, else
// text. A key that is NULL everywhere is text.
func inferPartitionType(values []string) types.T {
	if len(values) == 0 {
		return types.TextT
	}
	allInt, allDate := true, true
	for _, v := range values {
		if allInt {
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				allInt = false
			}
		}
		if allDate {
			if _, ok := parseDate(v); !ok {
				allDate = false
			}
		}
		if !allInt && !allDate {
			return types.TextT
		}
	}
	if allInt {
		return types.Int64T
	}
	return types.DateT
}

// parseDate parses YYYY-MM-DD into days since 1970-01-01.
func parseDate(s string) (int32, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

// partitionValue converts a partition folder value to the Const encoding of
// t (int64, int32 days or string). The type was inferred from these very
// values, so conversion cannot fail.
func partitionValue(kv partKV, t types.T) any {
	if kv.null {
		return nil
	}
	switch t.Kind {
	case types.Int64:
		v, _ := strconv.ParseInt(kv.value, 10, 64)
		return v
	case types.Date:
		d, _ := parseDate(kv.value)
		return d
	}
	return kv.value
}
