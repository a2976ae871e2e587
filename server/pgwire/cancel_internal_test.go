package pgwire

import (
	"context"
	"testing"
)

// TestCancelKeptWhileBusy: a cancel request that arrives while the
// connection handles a message but before a statement is cancelable (the
// Query is being parsed, or is between two statements) cancels the next
// statement instead of being dropped; one that arrives while the connection
// waits for a message is ignored, as in PostgreSQL.
func TestCancelKeptWhileBusy(t *testing.T) {
	c := &conn{}

	c.cancelRunning(errUserCancel) // idle: ignored
	ctx, cancel := context.WithCancelCause(context.Background())
	c.setRunning(cancel)
	if ctx.Err() != nil {
		t.Fatal("a cancel sent while the connection was idle canceled the next statement")
	}
	c.setRunning(nil)
	cancel(nil)

	c.busy.Store(true)
	c.cancelRunning(errUserCancel) // busy, nothing running yet: kept
	ctx, cancel = context.WithCancelCause(context.Background())
	defer cancel(nil)
	c.setRunning(cancel)
	if got := context.Cause(ctx); got != errUserCancel {
		t.Fatalf("statement started after a cancel in the same message: cause %v, want %v", got, errUserCancel)
	}
	c.setRunning(nil)

	// Taken once: the statement after it runs.
	ctx, cancel = context.WithCancelCause(context.Background())
	defer cancel(nil)
	c.setRunning(cancel)
	if ctx.Err() != nil {
		t.Fatal("one cancel request canceled two statements")
	}

	// While a statement runs, the request cancels it at once.
	c.cancelRunning(errTimeout)
	if got := context.Cause(ctx); got != errTimeout {
		t.Fatalf("running statement: cause %v, want %v", got, errTimeout)
	}
}
