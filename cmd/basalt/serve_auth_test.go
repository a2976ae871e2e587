package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/basaltdb/basalt/server/pgwire"
)

func TestSecurityFlags(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("alice:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		f       securityFlags
		addr    string
		want    pgwire.AuthMethod
		nUsers  int
		err     string
		warning bool
	}{
		{f: securityFlags{}, addr: "127.0.0.1:5432", want: pgwire.AuthTrust},
		{f: securityFlags{}, addr: "0.0.0.0:5432", want: pgwire.AuthTrust, warning: true},
		{f: securityFlags{usersFile: users}, addr: "0.0.0.0:5432", want: pgwire.AuthSCRAM, nUsers: 1},
		{f: securityFlags{usersFile: users, user: "bob", password: "pw", auth: "md5"}, want: pgwire.AuthMD5, nUsers: 2},
		{f: securityFlags{usersFile: users, auth: "trust"}, addr: "[::]:5432", want: pgwire.AuthTrust, nUsers: 1},
		{f: securityFlags{auth: "password"}, err: "needs users"},
		{f: securityFlags{auth: "ident"}, err: "unknown authentication method"},
		{f: securityFlags{user: "bob"}, err: "needs a password"},
		{f: securityFlags{password: "pw"}, err: "--password needs --user"},
		{f: securityFlags{tlsCert: "x.crt"}, err: "go together"},
		{f: securityFlags{tlsCert: "x.crt", tlsKey: "x.key"}, err: "TLS certificate"},
		{f: securityFlags{usersFile: filepath.Join(dir, "nosuch")}, err: "nosuch"},
		{f: securityFlags{usersFile: users, user: "alice", password: "again"}, err: "listed twice"},
	}
	for i, c := range cases {
		var cfg pgwire.Config
		var logged []string
		err := c.f.apply(&cfg, c.addr, func(f string, a ...any) { logged = append(logged, f) })
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("case %d: error %v, want %q", i, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("case %d: %v", i, err)
			continue
		}
		if cfg.Auth != c.want || cfg.Users.Len() != c.nUsers || (len(logged) > 0) != c.warning {
			t.Errorf("case %d: auth %v users %d warnings %q", i, cfg.Auth, cfg.Users.Len(), logged)
		}
	}
	t.Setenv("BASALT_PASSWORD", "from-env")
	var cfg pgwire.Config
	f := securityFlags{user: "carol", writeTimeout: time.Minute}
	if err := f.apply(&cfg, "127.0.0.1:1", nil); err != nil || cfg.Users.Len() != 1 || cfg.WriteTimeout != time.Minute {
		t.Errorf("user with $BASALT_PASSWORD: %v", err)
	}
}

func TestPasswd(t *testing.T) {
	var out bytes.Buffer
	if err := passwdCmd([]string{"alice"}, strings.NewReader("s3cret\n"), &out); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	if !strings.HasPrefix(line, "alice:SCRAM-SHA-256$4096:") || strings.Contains(line, "s3cret") {
		t.Fatalf("line %q", line)
	}
	if _, err := pgwire.ParseUsers(strings.NewReader(line)); err != nil {
		t.Errorf("the line does not read back: %v", err)
	}
	for _, args := range [][]string{nil, {"a:b"}, {"a", "b"}} {
		if err := passwdCmd(args, strings.NewReader("x\n"), &out); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	if err := passwdCmd([]string{"a"}, strings.NewReader("\n"), &out); err == nil {
		t.Error("empty password accepted")
	}
}
