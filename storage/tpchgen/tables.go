package tpchgen

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/go-tpc/tpch/dbgen"
)

// moneyType is the Arrow type of every DECIMAL(15,2) column. The writer
// stores it as a Parquet DECIMAL(15,2) on INT64 (StoreDecimalAsInteger).
var moneyType = &arrow.Decimal128Type{Precision: 15, Scale: 2}

// colDef is one output column: its name, Arrow type, whether Parquet should
// dictionary-encode it, and the buffer the row adder fills.
type colDef struct {
	name string
	typ  arrow.DataType
	dict bool
	buf  colBuf
}

// table is the shape of one TPC-H table and the function that turns one
// dbgen item into rows of it. One dbgen item may give several rows (an Order
// carries its LineItems, a Part its four PartSupps).
type table struct {
	name string
	cols []colDef
	// add appends the rows for item to the column buffers and says how many.
	add func(item any) int
}

func (t *table) i32(name string) *i32Buf {
	b := &i32Buf{}
	t.cols = append(t.cols, colDef{name: name, typ: arrow.PrimitiveTypes.Int32, buf: b})
	return b
}

func (t *table) date(name string) *i32Buf {
	b := &i32Buf{date: true}
	// Dates repeat heavily (2,500 distinct days), dictionary pages pay off.
	t.cols = append(t.cols, colDef{name: name, typ: arrow.FixedWidthTypes.Date32, dict: true, buf: b})
	return b
}

func (t *table) money(name string, dict bool) *decBuf {
	b := &decBuf{}
	t.cols = append(t.cols, colDef{name: name, typ: moneyType, dict: dict, buf: b})
	return b
}

func (t *table) text(name string, dict bool) *strBuf {
	b := &strBuf{}
	t.cols = append(t.cols, colDef{name: name, typ: arrow.BinaryTypes.String, dict: dict, buf: b})
	return b
}

// schema is the Arrow schema of the table. TPC-H columns are all NOT NULL,
// so the fields are not nullable and Parquet stores them REQUIRED.
func (t *table) schema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.cols))
	for i, c := range t.cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ}
	}
	return arrow.NewSchema(fields, nil)
}

func (t *table) arrays() []arrow.Array {
	out := make([]arrow.Array, len(t.cols))
	for i, c := range t.cols {
		out[i] = c.buf.array()
	}
	return out
}

func (t *table) reset() {
	for _, c := range t.cols {
		c.buf.reset()
	}
}

func newNation() *table {
	t := &table{name: "nation"}
	key, name, region, comment := t.i32("n_nationkey"), t.text("n_name", false), t.i32("n_regionkey"), t.text("n_comment", false)
	t.add = func(item any) int {
		n := item.(*dbgen.Nation)
		key.add(int32(n.Code))
		name.add(n.Text)
		region.add(int32(n.Join)) // dbgen keeps the region of a nation in Join
		comment.add(n.Comment)
		return 1
	}
	return t
}

func newRegion() *table {
	t := &table{name: "region"}
	key, name, comment := t.i32("r_regionkey"), t.text("r_name", false), t.text("r_comment", false)
	t.add = func(item any) int {
		r := item.(*dbgen.Region)
		key.add(int32(r.Code))
		name.add(r.Text)
		comment.add(r.Comment)
		return 1
	}
	return t
}

func newSupplier() *table {
	t := &table{name: "supplier"}
	key := t.i32("s_suppkey")
	name := t.text("s_name", false)
	addr := t.text("s_address", false)
	nation := t.i32("s_nationkey")
	phone := t.text("s_phone", false)
	bal := t.money("s_acctbal", false)
	comment := t.text("s_comment", false)
	t.add = func(item any) int {
		s := item.(*dbgen.Supp)
		key.add(int32(s.SuppKey))
		name.add(s.Name)
		addr.add(s.Address)
		nation.add(int32(s.NationCode))
		phone.add(s.Phone)
		bal.add(int64(s.Acctbal))
		comment.add(s.Comment)
		return 1
	}
	return t
}

func newCustomer() *table {
	t := &table{name: "customer"}
	key := t.i32("c_custkey")
	name := t.text("c_name", false)
	addr := t.text("c_address", false)
	nation := t.i32("c_nationkey")
	phone := t.text("c_phone", false)
	bal := t.money("c_acctbal", false)
	seg := t.text("c_mktsegment", true)
	comment := t.text("c_comment", false)
	t.add = func(item any) int {
		c := item.(*dbgen.Cust)
		key.add(int32(c.CustKey))
		name.add(c.Name)
		addr.add(c.Address)
		nation.add(int32(c.NationCode))
		phone.add(c.Phone)
		bal.add(int64(c.Acctbal))
		seg.add(c.MktSegment)
		comment.add(c.Comment)
		return 1
	}
	return t
}

func newPart() *table {
	t := &table{name: "part"}
	key := t.i32("p_partkey")
	name := t.text("p_name", false)
	mfgr := t.text("p_mfgr", true)
	brand := t.text("p_brand", true)
	typ := t.text("p_type", true)
	size := t.i32("p_size")
	container := t.text("p_container", true)
	price := t.money("p_retailprice", false)
	comment := t.text("p_comment", false)
	t.add = func(item any) int {
		p := item.(*dbgen.Part)
		key.add(int32(p.PartKey))
		name.add(p.Name)
		mfgr.add(p.Mfgr)
		brand.add(p.Brand)
		typ.add(p.Type)
		size.add(int32(p.Size))
		container.add(p.Container)
		price.add(int64(p.RetailPrice))
		comment.add(p.Comment)
		return 1
	}
	return t
}

func newPartsupp() *table {
	t := &table{name: "partsupp"}
	part := t.i32("ps_partkey")
	supp := t.i32("ps_suppkey")
	qty := t.i32("ps_availqty")
	cost := t.money("ps_supplycost", false)
	comment := t.text("ps_comment", false)
	t.add = func(item any) int {
		p := item.(*dbgen.Part)
		for i := range p.S {
			ps := &p.S[i]
			part.add(int32(ps.PartKey))
			supp.add(int32(ps.SuppKey))
			qty.add(int32(ps.Qty))
			cost.add(int64(ps.SCost))
			comment.add(ps.Comment)
		}
		return len(p.S)
	}
	return t
}

func newOrders() *table {
	t := &table{name: "orders"}
	key := t.i32("o_orderkey")
	cust := t.i32("o_custkey")
	status := t.text("o_orderstatus", true)
	total := t.money("o_totalprice", false)
	date := t.date("o_orderdate")
	prio := t.text("o_orderpriority", true)
	clerk := t.text("o_clerk", true)
	shipPrio := t.i32("o_shippriority")
	comment := t.text("o_comment", false)
	t.add = func(item any) int {
		o := item.(*dbgen.Order)
		key.add(int32(o.OKey))
		cust.add(int32(o.CustKey))
		status.addByte(o.Status)
		total.add(int64(o.TotalPrice))
		date.addDate(o.Date)
		prio.add(o.OrderPriority)
		clerk.add(o.Clerk)
		shipPrio.add(int32(o.ShipPriority))
		comment.add(o.Comment)
		return 1
	}
	return t
}

func newLineitem() *table {
	t := &table{name: "lineitem"}
	order := t.i32("l_orderkey")
	part := t.i32("l_partkey")
	supp := t.i32("l_suppkey")
	line := t.i32("l_linenumber")
	// Quantity, discount and tax take only 50, 11 and 9 values.
	qty := t.money("l_quantity", true)
	price := t.money("l_extendedprice", false)
	disc := t.money("l_discount", true)
	tax := t.money("l_tax", true)
	rflag := t.text("l_returnflag", true)
	lstatus := t.text("l_linestatus", true)
	ship := t.date("l_shipdate")
	commit := t.date("l_commitdate")
	receipt := t.date("l_receiptdate")
	instruct := t.text("l_shipinstruct", true)
	mode := t.text("l_shipmode", true)
	comment := t.text("l_comment", false)
	t.add = func(item any) int {
		o := item.(*dbgen.Order)
		for i := range o.Lines {
			l := &o.Lines[i]
			order.add(int32(l.OKey))
			part.add(int32(l.PartKey))
			supp.add(int32(l.SuppKey))
			line.add(int32(l.LCnt))
			qty.add(int64(l.Quantity) * 100) // dbgen's quantity is a whole count, not pennies
			price.add(int64(l.EPrice))
			disc.add(int64(l.Discount))
			tax.add(int64(l.Tax))
			rflag.addByte(l.RFlag)
			lstatus.addByte(l.LStatus)
			ship.addDate(l.SDate)
			commit.addDate(l.CDate)
			receipt.addDate(l.RDate)
			instruct.add(l.ShipInstruct)
			mode.add(l.ShipMode)
			comment.add(l.Comment)
		}
		return len(o.Lines)
	}
	return t
}
