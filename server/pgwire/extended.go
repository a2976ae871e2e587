package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/basaltdb/basalt/sql/sqlerr"
)

func (c *conn) parse(m *pgproto3.Parse) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet")
}
func (c *conn) bind(m *pgproto3.Bind) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet")
}
func (c *conn) describe(m *pgproto3.Describe) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet")
}
func (c *conn) execute(m *pgproto3.Execute) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet")
}
func (c *conn) closeMsg(m *pgproto3.Close) error {
	return sqlerr.New(sqlerr.FeatureNotSupported, "extended query protocol is not supported yet")
}

type prepared struct{}
