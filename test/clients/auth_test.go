package clients

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestClientsAuth logs every client in over TLS with SCRAM-SHA-256: each
// driver has its own TLS stack and SCRAM code (libpq for psql and
// psycopg2, pgjdbc's, node-postgres's, pgx's), so this is where their
// differences show. It runs its own server: `basalt serve --user alice
// --tls-cert --tls-key`, the password in $BASALT_PASSWORD.
func TestClientsAuth(t *testing.T) {
	if targetPostgres() {
		t.Skip("BASALT_CLIENTS_TARGET=postgres: the PostgreSQL under test has its own authentication")
	}
	f := server(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := writeSelfSigned(cert, key); err != nil {
		t.Fatal(err)
	}
	const user, password = "alice", "s3cret pass-word"
	srv, srvLog, host, port, err := startServe(f.bin, f.data, []string{"BASALT_PASSWORD=" + password},
		"--user", user, "--auth", "scram-sha-256", "--tls-cert", cert, "--tls-key", key)
	if err != nil {
		t.Fatalf("%v\n%s", err, srvLog)
	}
	defer stopServe(srv)
	env := func(sslmode string) []string {
		return append(os.Environ(), "PGHOST="+host, "PGPORT="+port, "PGUSER="+user, "PGPASSWORD="+password,
			"PGDATABASE=basalt", "PGSSLMODE="+sslmode, "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=10", "BASALT_OUT="+dir,
			"BASALT_QUERIES="+f.queries)
	}
	// run runs one client program in its auth mode and turns its CHECK
	// lines into subtests.
	run := func(t *testing.T, client, sslmode string, name string, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = env(sslmode)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		checks := parseChecks(stdout.String())
		for _, c := range checks {
			t.Run(c.name, func(t *testing.T) {
				if !c.ok {
					gapOrFail(t, client+"/"+c.name, c.msg)
					return
				}
				passed(t, client+"/"+c.name)
			})
		}
		if err != nil || len(checks) == 0 {
			t.Errorf("%s: %v (%d checks)\nstdout:\n%s\nstderr:\n%s", client, err, len(checks), tail(stdout.String(), 3000), tail(stderr.String(), 3000))
		}
	}

	t.Run("psql", func(t *testing.T) {
		bin := requireTool(t, "psql")
		cmd := exec.Command(bin, "-X", "-A", "-t", "-c", `\conninfo`, "-c", "select current_user")
		cmd.Env = env("require")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SSL connection") || !strings.Contains(string(out), "\nalice\n") {
			gapOrFail(t, "auth/psql", fmt.Sprintf("%v: %s", err, out))
		}
		// A wrong password is refused with 28P01.
		cmd = exec.Command(bin, "-X", "-c", "select 1")
		cmd.Env = append(env("require"), "PGPASSWORD=wrong")
		out, err = cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), `password authentication failed for user "alice"`) {
			gapOrFail(t, "auth/psql_wrong_password", fmt.Sprintf("%v: %s", err, out))
		}
	})
	t.Run("pgx", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%s user=%s password='%s' dbname=basalt sslmode=require", host, port, user, password))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			gapOrFail(t, "auth/pgx", err.Error())
			return
		}
		defer conn.Close(ctx)
		var who string
		if err := conn.QueryRow(ctx, "select current_user").Scan(&who); err != nil || who != user {
			gapOrFail(t, "auth/pgx", fmt.Sprintf("current_user %q, %v", who, err))
		}
		if _, ok := conn.PgConn().Conn().(*tls.Conn); !ok {
			gapOrFail(t, "auth/pgx", "the connection is not TLS")
		}
	})
	t.Run("jdbc", func(t *testing.T) {
		java, args := jdbcMain(t)
		run(t, "auth/jdbc", "require", java, append(args, "auth")...)
	})
	t.Run("psycopg2", func(t *testing.T) {
		requirePython(t, "psycopg2")
		run(t, "auth/psycopg2", "require", python3, filepath.Join("psycopg2", "run.py"), "auth")
	})
	t.Run("node", func(t *testing.T) {
		node := requireTool(t, "node", "nodejs")
		if _, err := os.Stat(filepath.Join("node", "node_modules", "pg")); err != nil {
			missing(t, "node-postgres is not installed (cd test/clients/node && npm ci)")
		}
		// node-postgres reads PGSSLMODE too; no-verify is its TLS without
		// certificate checks (the certificate is self-signed).
		run(t, "auth/node", "no-verify", node, filepath.Join("node", "run.js"), "auth")
	})
}

// writeSelfSigned writes a certificate for localhost and 127.0.0.1 and its
// key as PEM files.
func writeSelfSigned(certFile, keyFile string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}
