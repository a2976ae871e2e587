package pgwire

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

// SQLSTATEs of refused logins (kept here, next to their only use).
const (
	codeInvalidAuthorization = "28000"
	codeInvalidPassword      = "28P01"
)

// AuthMethod is how clients prove who they are, as a pg_hba.conf method.
type AuthMethod int

const (
	// AuthTrust accepts any user name from loopback (and Unix socket)
	// clients. Clients from other hosts must log in with SCRAM-SHA-256 as
	// one of the configured users, or are refused when there are none:
	// trust over the network would let anyone in.
	AuthTrust AuthMethod = iota
	// AuthPassword asks for the password in clear text (use it with TLS).
	AuthPassword
	// AuthMD5 runs PostgreSQL's md5 challenge; users whose only secret is
	// a SCRAM verifier get SCRAM instead, as in PostgreSQL.
	AuthMD5
	// AuthSCRAM runs SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel
	// binding.
	AuthSCRAM
)

// ParseAuthMethod reads a method by its pg_hba.conf name.
func ParseAuthMethod(s string) (AuthMethod, error) {
	switch strings.ToLower(s) {
	case "trust":
		return AuthTrust, nil
	case "password":
		return AuthPassword, nil
	case "md5":
		return AuthMD5, nil
	case "scram-sha-256":
		return AuthSCRAM, nil
	}
	return 0, fmt.Errorf("unknown authentication method %q (want trust, password, md5 or scram-sha-256)", s)
}

func (m AuthMethod) String() string {
	switch m {
	case AuthTrust:
		return "trust"
	case AuthPassword:
		return "password"
	case AuthMD5:
		return "md5"
	case AuthSCRAM:
		return "scram-sha-256"
	}
	return fmt.Sprintf("AuthMethod(%d)", int(m))
}

// Users are the accounts the password methods check.
type Users struct {
	m map[string]*credential
}

// credential is what the server knows of one user's password: the
// password itself, or only one of PostgreSQL's verifiers.
type credential struct {
	plain    string // "" when only a verifier is known
	md5      string // "md5" + hex(md5(password + user)); "" when unknown
	scram    *scramSecret
	hasPlain bool
}

// NewUsers returns an empty set of users.
func NewUsers() *Users { return &Users{m: map[string]*credential{}} }

// Len reports how many users there are.
func (u *Users) Len() int {
	if u == nil {
		return 0
	}
	return len(u.m)
}

// Add adds user name with secret: a password, an md5 verifier
// ("md5" and 32 hex digits) or a SCRAM-SHA-256 verifier
// ("SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"), the forms
// PostgreSQL keeps in pg_authid.rolpassword.
func (u *Users) Add(name, secret string) error {
	if name == "" {
		return errors.New("empty user name")
	}
	if _, dup := u.m[name]; dup {
		return fmt.Errorf("user %q is listed twice", name)
	}
	if secret == "" {
		// PostgreSQL refuses empty passwords too.
		return fmt.Errorf("user %q has an empty password", name)
	}
	cr := &credential{}
	switch {
	case strings.HasPrefix(secret, "SCRAM-SHA-256$"):
		s, err := parseSCRAMSecret(secret)
		if err != nil {
			return fmt.Errorf("user %q: %w", name, err)
		}
		cr.scram = s
	case isMD5Verifier(secret):
		cr.md5 = strings.ToLower(secret)
	default:
		s, err := newSCRAMSecret(secret, nil, scramIterations)
		if err != nil {
			return err
		}
		cr.plain, cr.hasPlain, cr.md5, cr.scram = secret, true, md5Verifier(name, secret), s
	}
	u.m[name] = cr
	return nil
}

// ParseUsers reads one user a line, "name:secret" (secret as Add takes
// it); blank lines and lines starting with # are skipped. A name cannot
// contain ':'; the secret is the rest of the line.
func ParseUsers(r io.Reader) (*Users, error) {
	u := NewUsers()
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, secret, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want name:password", n)
		}
		if err := u.Add(name, secret); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return u, nil
}

// LoadUsers reads a users file (see ParseUsers).
func LoadUsers(path string) (*Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := ParseUsers(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

func isMD5Verifier(s string) bool {
	if len(s) != 35 || !strings.HasPrefix(s, "md5") {
		return false
	}
	_, err := hex.DecodeString(s[3:])
	return err == nil
}

// md5Verifier is PostgreSQL's stored md5 password: the user name salts it.
func md5Verifier(user, password string) string {
	sum := md5.Sum([]byte(password + user))
	return "md5" + hex.EncodeToString(sum[:])
}

// isLocal reports whether a client connects from this machine: loopback
// TCP, a Unix socket, or an in-process pipe.
func isLocal(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	case nil:
		return false
	}
	return a.Network() == "pipe"
}

// Errors of authentication; refusals are logged with the reason, while
// the client learns only that authentication failed.
func passwordFailed(user string) error {
	return sqlerr.New(codeInvalidPassword, "password authentication failed for user \"%s\"", user)
}

func malformedAuth(format string, args ...any) error {
	return sqlerr.New(codeProtocolViolation, format, args...)
}

// authenticate runs the configured method for user. It returns the error
// to send as FATAL; a refusal is logged in one line.
func (c *conn) authenticate(user, db string) error {
	cfg := &c.srv.cfg
	addr := c.nc.RemoteAddr()
	method := cfg.Auth
	if method == AuthTrust {
		if isLocal(addr) {
			return nil
		}
		if cfg.Users.Len() == 0 {
			host := addrHost(addr)
			c.srv.cfg.Logf("pgwire: connection from %s refused: trust authentication is accepted only from loopback addresses (user %q)", addr, user)
			return &sqlerr.Error{
				Code:    codeInvalidAuthorization,
				Message: fmt.Sprintf("no trust authentication for host \"%s\", user \"%s\", database \"%s\": trust is accepted only from loopback addresses", host, user, db),
				Hint:    "Start basalt serve with --users FILE (or --user NAME) so that clients on other hosts log in with a password.",
			}
		}
		// Users exist: clients on other hosts log in with a password.
		method = AuthSCRAM
	}
	var cr *credential
	if cfg.Users != nil {
		cr = cfg.Users.m[user]
	}
	var reason string
	var err error
	switch method {
	case AuthPassword:
		reason, err = c.cleartextAuth(user, cr)
	case AuthMD5:
		if cr != nil && cr.md5 == "" {
			reason, err = c.scramAuth(user, cr)
		} else {
			reason, err = c.md5Auth(user, cr)
		}
	default:
		reason, err = c.scramAuth(user, cr)
	}
	if err != nil {
		var se *sqlerr.Error
		if errors.As(err, &se) {
			c.srv.cfg.Logf("pgwire: connection from %s refused: user %q: %s", addr, user, se.Message)
		}
		return err
	}
	if reason != "" {
		c.srv.cfg.Logf("pgwire: connection from %s refused: password authentication failed for user %q (%s): %s", addr, user, method, reason)
		return passwordFailed(user)
	}
	return nil
}

func addrHost(a net.Addr) string {
	if a == nil {
		return ""
	}
	if h, _, err := net.SplitHostPort(a.String()); err == nil {
		return h
	}
	return a.String()
}

// maxAuthMessage bounds a password or SASL message (PostgreSQL's
// PG_MAX_AUTH_TOKEN_LENGTH).
const maxAuthMessage = 65535

// readAuth reads the client's answer to an authentication request: a
// password message ('p'), whose body it returns. The connection is read
// unbuffered so nothing that follows is lost.
func (c *conn) readAuth() ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(c.nc, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0] == 'X' {
		// The client gave up (psql does this to prompt for a password).
		return nil, io.EOF
	}
	if hdr[0] != 'p' {
		return nil, malformedAuth("expected password response, got message type %d", hdr[0])
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[1:]))) - 4
	if n < 0 || n > maxAuthMessage {
		return nil, malformedAuth("invalid password packet size")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		return nil, err
	}
	return body, nil
}

// readPassword reads a PasswordMessage.
func (c *conn) readPassword() (string, error) {
	body, err := c.readAuth()
	if err != nil {
		return "", err
	}
	var pm pgproto3.PasswordMessage
	if len(body) == 0 || body[len(body)-1] != 0 || pm.Decode(body) != nil || len(pm.Password)+1 != len(body) {
		return "", malformedAuth("invalid password packet size")
	}
	return pm.Password, nil
}

// challenge sends an authentication request and waits for the reply.
func (c *conn) challenge(m pgproto3.BackendMessage) error {
	c.send(m)
	return c.flush()
}

// cleartextAuth asks for the password and checks it against whatever the
// server keeps: the password or either verifier. It returns why a
// well-formed login failed ("" when it succeeded).
func (c *conn) cleartextAuth(user string, cr *credential) (string, error) {
	if err := c.challenge(&pgproto3.AuthenticationCleartextPassword{}); err != nil {
		return "", err
	}
	pw, err := c.readPassword()
	if err != nil {
		return "", err
	}
	switch {
	case pw == "":
		return "empty password", nil
	case cr == nil:
		return "no such user", nil
	case cr.hasPlain:
		if subtle.ConstantTimeCompare([]byte(pw), []byte(cr.plain)) == 1 {
			return "", nil
		}
	case cr.scram != nil:
		if cr.scram.check(pw) {
			return "", nil
		}
	case cr.md5 != "":
		if subtle.ConstantTimeCompare([]byte(md5Verifier(user, pw)), []byte(cr.md5)) == 1 {
			return "", nil
		}
	}
	return "wrong password", nil
}

// md5Auth runs PostgreSQL's md5 challenge: the client answers
// "md5" + hex(md5(hex(md5(password + user)) + salt)). An unknown user gets
// the same exchange so that the reply does not reveal which users exist.
func (c *conn) md5Auth(user string, cr *credential) (string, error) {
	var salt [4]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return "", err
	}
	if err := c.challenge(&pgproto3.AuthenticationMD5Password{Salt: salt}); err != nil {
		return "", err
	}
	got, err := c.readPassword()
	if err != nil {
		return "", err
	}
	if cr == nil {
		return "no such user", nil
	}
	sum := md5.Sum(append([]byte(cr.md5[3:]), salt[:]...))
	want := "md5" + hex.EncodeToString(sum[:])
	if !hmac.Equal([]byte(got), []byte(want)) {
		return "wrong password", nil
	}
	return "", nil
}
