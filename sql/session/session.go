// Package session describes the client session a statement runs in: who is
// connected, to which database, and the session's run-time settings. The
// binder folds functions such as current_user, current_setting and
// set_config to constants through it; the wire server implements it per
// connection and the CLI uses Embedded.
package session

import (
	"os"
	"strings"
	"sync"
)

// Info is what a statement may ask of its session.
type Info interface {
	// User is the connected role's name (current_user, session_user).
	User() string
	// Database is the database name the client connected to.
	Database() string
	// Setting returns a run-time parameter's value by case-insensitive
	// name; ok is false for a parameter the session does not know.
	Setting(name string) (value string, ok bool)
	// SetSetting changes a parameter (set_config); local means for the
	// current transaction only. It returns the value as stored.
	SetSetting(name, value string, local bool) (string, error)
	// BackendPID is the process id reported to the client in
	// BackendKeyData (pg_backend_pid()).
	BackendPID() int32
}

// DefaultDatabase is the database every client connects to.
const DefaultDatabase = "basalt"

// Embedded is the session of the CLI and of tests: the operating system's
// user, database basalt, and settings kept in a map.
type Embedded struct {
	mu       sync.Mutex
	settings map[string]string
}

// NewEmbedded returns an embedded session with PostgreSQL's defaults for
// the settings clients read.
func NewEmbedded() *Embedded {
	return &Embedded{settings: map[string]string{
		"server_version":                "16.4 (Basalt)",
		"server_version_num":            "160004",
		"server_encoding":               "UTF8",
		"client_encoding":               "UTF8",
		"datestyle":                     "ISO, MDY",
		"intervalstyle":                 "postgres",
		"timezone":                      "UTC",
		"integer_datetimes":             "on",
		"standard_conforming_strings":   "on",
		"search_path":                   "\"$user\", public",
		"max_identifier_length":         "63",
		"application_name":              "",
		"is_superuser":                  "off",
		"statement_timeout":             "0",
		"transaction_isolation":         "read committed",
		"default_transaction_read_only": "off",
		"lc_collate":                    "C",
		"lc_ctype":                      "C",
	}}
}

// User is the operating system's user name, or "basalt".
func (s *Embedded) User() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "basalt"
}

// Database is always DefaultDatabase.
func (s *Embedded) Database() string { return DefaultDatabase }

// Setting reads a setting by case-insensitive name.
func (s *Embedded) Setting(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.settings[strings.ToLower(name)]
	return v, ok
}

// SetSetting stores any value: the embedded engine has no validation to
// apply, and a LOCAL setting lasts as long as a session one (no
// transactions in the CLI).
func (s *Embedded) SetSetting(name, value string, local bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings[strings.ToLower(name)] = value
	return value, nil
}

// BackendPID is this process's id.
func (s *Embedded) BackendPID() int32 { return int32(os.Getpid()) }
