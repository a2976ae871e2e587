package pgwire

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"
	"golang.org/x/text/secure/precis"
)

// SCRAM-SHA-256 (RFC 5802 with RFC 7677's hash), as PostgreSQL runs it:
// the SASL mechanism "SCRAM-SHA-256" without channel binding, the user name
// taken from the startup packet (the SCRAM "n=" attribute is ignored), and
// verifiers stored as "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>".

const (
	scramMechanism = "SCRAM-SHA-256"
	// scramIterations is PostgreSQL's default scram_iterations.
	scramIterations = 4096
	scramSaltLen    = 16
	scramNonceLen   = 18
	// scramMaxIterations keeps a hostile users file from stalling logins.
	scramMaxIterations = 1 << 22
)

// scramSecret is a SCRAM verifier: what the server keeps of a password.
type scramSecret struct {
	iterations int
	salt       []byte
	storedKey  []byte // H(ClientKey)
	serverKey  []byte
}

// newSCRAMSecret derives the verifier of password; a nil salt is random.
func newSCRAMSecret(password string, salt []byte, iterations int) (*scramSecret, error) {
	if salt == nil {
		salt = make([]byte, scramSaltLen)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
	}
	salted, err := pbkdf2.Key(sha256.New, saslPrep(password), salt, iterations, sha256.Size)
	if err != nil {
		return nil, err
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return &scramSecret{iterations: iterations, salt: salt, storedKey: stored[:], serverKey: hmacSHA256(salted, "Server Key")}, nil
}

// SCRAMVerifier returns the SCRAM-SHA-256 verifier of password with a
// random salt, in the form a users file (and PostgreSQL) keeps.
func SCRAMVerifier(password string) (string, error) {
	s, err := newSCRAMSecret(password, nil, scramIterations)
	if err != nil {
		return "", err
	}
	return s.String(), nil
}

func (s *scramSecret) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("SCRAM-SHA-256$%d:%s$%s:%s", s.iterations, b64(s.salt), b64(s.storedKey), b64(s.serverKey))
}

func parseSCRAMSecret(v string) (*scramSecret, error) {
	bad := errors.New("invalid SCRAM-SHA-256 verifier: want SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>")
	parts := strings.Split(v, "$")
	if len(parts) != 3 || parts[0] != "SCRAM-SHA-256" {
		return nil, bad
	}
	iter, salt, ok1 := strings.Cut(parts[1], ":")
	stored, server, ok2 := strings.Cut(parts[2], ":")
	if !ok1 || !ok2 {
		return nil, bad
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < 1 || n > scramMaxIterations {
		return nil, bad
	}
	s := &scramSecret{iterations: n}
	dec := base64.StdEncoding.DecodeString
	if s.salt, err = dec(salt); err != nil || len(s.salt) == 0 {
		return nil, bad
	}
	if s.storedKey, err = dec(stored); err != nil || len(s.storedKey) != sha256.Size {
		return nil, bad
	}
	if s.serverKey, err = dec(server); err != nil || len(s.serverKey) != sha256.Size {
		return nil, bad
	}
	return s, nil
}

// check reports whether password (sent in clear text) matches the verifier.
func (s *scramSecret) check(password string) bool {
	t, err := newSCRAMSecret(password, s.salt, s.iterations)
	if err != nil {
		return false
	}
	return hmac.Equal(t.storedKey, s.storedKey) && hmac.Equal(t.serverKey, s.serverKey)
}

func hmacSHA256(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// saslPrep normalises a password as SCRAM asks (RFC 4013). ASCII passwords
// are unchanged; others go through PRECIS OpaqueString, SASLprep's
// successor, which is what libpq's and pgx's results agree with for
// ordinary text. As in PostgreSQL, a password the profile rejects is used
// as raw bytes.
func saslPrep(p string) string {
	ascii := true
	for i := 0; i < len(p); i++ {
		if p[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii || !utf8.ValidString(p) {
		return p
	}
	if n, err := precis.OpaqueString.String(p); err == nil {
		return n
	}
	return p
}

// mockSCRAMSecret stands in for an unknown user (or one without a SCRAM
// verifier): its salt depends only on the server's key and the name, so
// repeated attempts see the same salt as for a real user, and no proof
// matches it.
func (c *conn) mockSCRAMSecret(user string) *scramSecret {
	salt := hmacSHA256(c.srv.mockKey[:], "salt:"+user)[:scramSaltLen]
	stored := make([]byte, sha256.Size)
	_, _ = rand.Read(stored)
	return &scramSecret{iterations: scramIterations, salt: salt, storedKey: stored, serverKey: stored}
}

// scramAuth runs the SCRAM-SHA-256 exchange. It returns why a well-formed
// exchange failed ("" on success); malformed messages are errors (08P01).
func (c *conn) scramAuth(user string, cr *credential) (string, error) {
	sec, reason := (*scramSecret)(nil), ""
	switch {
	case cr == nil:
		reason = "no such user"
	case cr.scram == nil:
		reason = "the user has no SCRAM-SHA-256 verifier (only md5)"
	default:
		sec = cr.scram
	}
	if sec == nil {
		sec = c.mockSCRAMSecret(user)
	}
	if err := c.challenge(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{scramMechanism}}); err != nil {
		return "", err
	}
	body, err := c.readAuth()
	if err != nil {
		return "", err
	}
	var init pgproto3.SASLInitialResponse
	if err := init.Decode(body); err != nil {
		return "", malformedAuth("malformed SASLInitialResponse message")
	}
	if init.AuthMechanism != scramMechanism {
		return "", malformedAuth("client selected an invalid SASL authentication mechanism")
	}
	gs2, bare, cnonce, err := parseClientFirst(string(init.Data))
	if err != nil {
		return "", err
	}
	snonce := make([]byte, scramNonceLen)
	if _, err := rand.Read(snonce); err != nil {
		return "", err
	}
	nonce := cnonce + base64.StdEncoding.EncodeToString(snonce)
	serverFirst := fmt.Sprintf("r=%s,s=%s,i=%d", nonce, base64.StdEncoding.EncodeToString(sec.salt), sec.iterations)
	if err := c.challenge(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}); err != nil {
		return "", err
	}
	if body, err = c.readAuth(); err != nil {
		return "", err
	}
	withoutProof, proof, err := parseClientFinal(string(body), gs2, nonce)
	if err != nil {
		return "", err
	}
	authMessage := bare + "," + serverFirst + "," + withoutProof
	// ClientKey = proof XOR HMAC(StoredKey, AuthMessage); it is right
	// when H(ClientKey) is the StoredKey.
	sig := hmacSHA256(sec.storedKey, authMessage)
	for i := range sig {
		sig[i] ^= proof[i]
	}
	got := sha256.Sum256(sig)
	if !hmac.Equal(got[:], sec.storedKey) {
		if reason == "" {
			reason = "wrong password"
		}
		return reason, nil
	}
	if reason != "" {
		return reason, nil
	}
	final := "v=" + base64.StdEncoding.EncodeToString(hmacSHA256(sec.serverKey, authMessage))
	c.send(&pgproto3.AuthenticationSASLFinal{Data: []byte(final)})
	return "", nil
}

// parseClientFirst splits client-first-message into its GS2 header and
// bare part and returns the client's nonce.
func parseClientFirst(m string) (gs2, bare, nonce string, err error) {
	bad := func(detail string) (string, string, string, error) {
		return "", "", "", malformedAuth("malformed SCRAM message: %s", detail)
	}
	switch {
	case strings.HasPrefix(m, "n,"), strings.HasPrefix(m, "y,"):
		// "y": the client could bind channels but thinks we cannot (right:
		// SCRAM-SHA-256-PLUS is not offered).
	case strings.HasPrefix(m, "p="):
		return bad("channel binding was not offered")
	default:
		return bad("unexpected channel-binding flag")
	}
	rest := m[2:]
	if !strings.HasPrefix(rest, ",") {
		// An authorization identity ("a=...") is not supported, as in
		// PostgreSQL.
		return bad("client uses authorization identity, which is not supported")
	}
	gs2, bare = m[:3], rest[1:]
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 || strings.HasPrefix(attrs[0], "m=") {
		return bad("unsupported or missing attributes")
	}
	if !strings.HasPrefix(attrs[0], "n=") {
		return bad("expected attribute \"n\"")
	}
	if !strings.HasPrefix(attrs[1], "r=") || len(attrs[1]) == 2 {
		return bad("expected attribute \"r\"")
	}
	nonce = attrs[1][2:]
	for i := 0; i < len(nonce); i++ {
		if ch := nonce[i]; ch < 0x21 || ch > 0x7e || ch == ',' {
			return bad("invalid character in nonce")
		}
	}
	return gs2, bare, nonce, nil
}

// parseClientFinal checks client-final-message ("c=...,r=...[,ext],p=...")
// against the GS2 header and the combined nonce and returns the message
// without its proof (part of AuthMessage) and the decoded proof.
func parseClientFinal(m, gs2, nonce string) (withoutProof string, proof []byte, err error) {
	bad := func(detail string) (string, []byte, error) {
		return "", nil, malformedAuth("malformed SCRAM message: %s", detail)
	}
	i := strings.LastIndex(m, ",p=")
	if i < 0 {
		return bad("missing proof")
	}
	withoutProof = m[:i]
	proof, err = base64.StdEncoding.DecodeString(m[i+3:])
	if err != nil || len(proof) != sha256.Size {
		return bad("invalid proof")
	}
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return bad("expected attributes \"c\" and \"r\"")
	}
	cb, err := base64.StdEncoding.DecodeString(attrs[0][2:])
	if err != nil || string(cb) != gs2 {
		return bad("unexpected SCRAM channel-binding attribute")
	}
	if attrs[1][2:] != nonce {
		return bad("nonce does not match")
	}
	return withoutProof, proof, nil
}
