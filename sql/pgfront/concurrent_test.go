package pgfront

import (
	"fmt"
	"sync"
	"testing"
)

// TestParseConcurrent parses different statements from several goroutines
// at once: each must get the AST of its own text. The pooled TiDB parsers
// return their internal result slice, which the next parse on the same
// parser overwrites, so a caller that read it after giving the parser back
// could get another goroutine's statement (and -race flags it).
func TestParseConcurrent(t *testing.T) {
	const workers, rounds = 8, 300
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				sql := fmt.Sprintf("select %d, 'w%d' from t where x = %d", i, w, i)
				stmts, err := Parse(sql)
				if err != nil {
					errs <- err
					return
				}
				if len(stmts) != 1 || stmts[0].AST == nil {
					errs <- fmt.Errorf("%s: %d statements", sql, len(stmts))
					return
				}
				if got := stmts[0].AST.Text(); got != stmts[0].Rewritten {
					errs <- fmt.Errorf("parsed %q, got the AST of %q", stmts[0].Rewritten, got)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
