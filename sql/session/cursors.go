package session

import "time"

// Cursor describes one open cursor of a session, as pg_cursors lists it.
type Cursor struct {
	Name       string
	Statement  string // the DECLARE statement's text
	Holdable   bool
	Binary     bool
	Scrollable bool
	Created    time.Time
}

// CursorLister is implemented by sessions that can hold cursors (the wire
// server's); others have none.
type CursorLister interface {
	Cursors() []Cursor
}
