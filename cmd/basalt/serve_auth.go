package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/basaltdb/basalt/server/pgwire"
)

// securityFlags are serve's TLS and authentication options.
type securityFlags struct {
	tlsCert, tlsKey string
	auth            string
	usersFile       string
	user, password  string
	writeTimeout    time.Duration
}

func (f *securityFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate: clients asking for SSL get TLS (needs --tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&f.auth, "auth", "", "authentication: trust, password, md5 or scram-sha-256 (default: scram-sha-256 when users are given, else trust; trust admits loopback clients only)")
	fs.StringVar(&f.usersFile, "users", "", "users file: one name:password, name:md5... or name:SCRAM-SHA-256$... a line")
	fs.StringVar(&f.user, "user", "", "a user who may log in (password from --password or $BASALT_PASSWORD)")
	fs.StringVar(&f.password, "password", "", "password of --user (prefer $BASALT_PASSWORD: flags show in ps)")
	fs.DurationVar(&f.writeTimeout, "write-timeout", 10*time.Minute, "disconnect a client that reads no results for this long (0: never)")
}

// apply fills cfg's security settings; addr is the listening address, to
// warn when trust would refuse every remote client.
func (f *securityFlags) apply(cfg *pgwire.Config, addr string, logf func(string, ...any)) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if f.tlsCert != "" {
		t, err := pgwire.LoadTLS(f.tlsCert, f.tlsKey)
		if err != nil {
			return err
		}
		cfg.TLS = t
	}
	users := pgwire.NewUsers()
	if f.usersFile != "" {
		u, err := pgwire.LoadUsers(f.usersFile)
		if err != nil {
			return err
		}
		users = u
	}
	if f.password != "" && f.user == "" {
		return errors.New("--password needs --user")
	}
	if f.user != "" {
		pw := f.password
		if pw == "" {
			pw = os.Getenv("BASALT_PASSWORD")
		}
		if pw == "" {
			return errors.New("--user needs a password: --password or $BASALT_PASSWORD")
		}
		if err := users.Add(f.user, pw); err != nil {
			return err
		}
	}
	method := pgwire.AuthTrust
	if users.Len() > 0 {
		method = pgwire.AuthSCRAM
	}
	if f.auth != "" {
		m, err := pgwire.ParseAuthMethod(f.auth)
		if err != nil {
			return err
		}
		method = m
	}
	if method != pgwire.AuthTrust && users.Len() == 0 {
		return fmt.Errorf("--auth %s needs users: --users FILE or --user NAME", method)
	}
	cfg.Auth, cfg.Users, cfg.WriteTimeout = method, users, f.writeTimeout
	if method == pgwire.AuthTrust && users.Len() == 0 && !loopbackAddr(addr) {
		logf("trust authentication admits loopback clients only: clients from other hosts will be refused until users are given (--users or --user)")
	}
	return nil
}

// loopbackAddr reports whether a listen address accepts loopback clients
// only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// passwdCmd prints a users-file line for NAME with a SCRAM-SHA-256
// verifier of the password read from stdin, so files need not hold
// passwords.
func passwdCmd(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 1 || args[0] == "" || strings.Contains(args[0], ":") {
		return errors.New("usage: basalt passwd NAME < password (NAME without ':')")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return errors.New("empty password on stdin")
	}
	v, err := pgwire.SCRAMVerifier(pw)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s:%s\n", args[0], v)
	return nil
}
