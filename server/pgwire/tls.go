package pgwire

import (
	"crypto/tls"
	"fmt"
)

// startTLS answers an SSLRequest with 'S' and runs the TLS handshake; the
// startup packet then follows inside TLS. Nothing was read past the
// request, so no plaintext can be smuggled into the encrypted stream.
func (c *conn) startTLS() error {
	if _, err := c.nc.Write([]byte{'S'}); err != nil {
		return err
	}
	tc := tls.Server(c.nc, c.srv.cfg.TLS)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	c.nc = tc
	return nil
}

// LoadTLS reads a certificate and its key (PEM files) into a server TLS
// configuration (TLS 1.2 at least, as PostgreSQL's ssl_min_protocol_version).
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
