package benchmarks

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/basaltdb/basalt/storage/tpchgen"
)

// tpchTables are the folders a complete TPC-H data directory has.
var tpchTables = []string{"nation", "region", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

// HasTPCH reports whether dir holds Parquet files for all eight tables.
func HasTPCH(dir string) bool {
	for _, t := range tpchTables {
		files, err := filepath.Glob(filepath.Join(dir, t, "*.parquet"))
		if err != nil || len(files) == 0 {
			return false
		}
	}
	return true
}

// EnsureTPCH generates TPC-H at scale factor sf into dir unless dir already
// holds the tables; it does not check that existing data has that sf.
func EnsureTPCH(ctx context.Context, sf float64, dir string, progress io.Writer) error {
	if HasTPCH(dir) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tpch data: %w", err)
	}
	return tpchgen.Generate(ctx, sf, dir, progress)
}
