// node-postgres (npm pg, installed here by `npm ci`) against basalt serve.
// Run by test/clients; the connection comes from the PG* environment
// variables. See test/clients/harness_test.go for the protocol.
'use strict';

const fs = require('fs');
const path = require('path');
const { Client, types } = require('pg');

const OUT = process.env.BASALT_OUT;
const QUERIES = process.env.BASALT_QUERIES;

// Keep dates as PostgreSQL prints them: pg's default parser makes a JS
// Date at local midnight, which shifts with the time zone.
types.setTypeParser(1082, (v) => v);

function oneLine(e) {
  return String((e && e.message) || e).replace(/\s+/g, ' ') + (e && e.code ? ` (SQLSTATE ${e.code})` : '');
}

async function check(name, fn) {
  try {
    await fn();
    console.log(`CHECK ${name} ok`);
  } catch (e) {
    console.log(`CHECK ${name} FAIL ${oneLine(e)}`);
    console.error(e);
  }
}

function require_(ok, msg) {
  if (!ok) throw new Error(msg);
}

function write(name, content) {
  const p = path.join(OUT, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

function field(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') v = v ? 't' : 'f';
  const s = String(v);
  return /[",\n\r]/.test(s) || s === '' ? '"' + s.replace(/"/g, '""') + '"' : s;
}

function toCSV(res) {
  const names = res.fields.map((f) => f.name);
  let out = names.map(field).join(',') + '\n';
  for (const row of res.rows) {
    out += row.map(field).join(',') + '\n';
  }
  return out;
}

async function main() {
  const client = new Client();
  await client.connect();
  const version = (await client.query('select version()').catch(() => ({ rows: [['?']] }))).rows;

  await check('simple_query', async () => {
    const r = await client.query('select count(*) as n from lineitem');
    // count(*) is bigint, which pg returns as a string to keep its range.
    require_(r.rows.length === 1 && r.rows[0].n === '60175', `count(*) gave ${JSON.stringify(r.rows)}`);
    require_(r.fields[0].dataTypeID === 20, `count(*) type OID ${r.fields[0].dataTypeID}, want 20`);
  });

  await check('parameterised', async () => {
    // Values make pg use the extended protocol with unnamed statements.
    const sql = 'select count(*) as n, sum(l_extendedprice) as s from lineitem where l_shipdate <= $1 ' +
      'and l_discount between $2 and $3 and l_returnflag = $4 and l_quantity < $5';
    const lit = "select count(*) as n, sum(l_extendedprice) as s from lineitem where l_shipdate <= date '1995-06-30' " +
      "and l_discount between 0.02 and 0.05 and l_returnflag = 'R' and l_quantity < 30";
    const got = (await client.query(sql, ['1995-06-30', '0.02', '0.05', 'R', 30])).rows[0];
    const want = (await client.query(lit)).rows[0];
    require_(JSON.stringify(got) === JSON.stringify(want) && got.n !== '0', `${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    // The same text under a name is a prepared statement, run three times.
    for (let i = 0; i < 3; i++) {
      const r = await client.query({ name: 'q_by_key', text: 'select l_linenumber from lineitem where l_orderkey = $1 order by 1', values: [1 + i] });
      require_(r.rows.length > 0 && r.rows[0].l_linenumber === 1, `order ${1 + i}: ${JSON.stringify(r.rows)}`);
    }
    const r = await client.query('select $1::text as a, $2::int4 as b, $3::text as c', ["it's", 42, null]);
    require_(JSON.stringify(r.rows[0]) === JSON.stringify({ a: "it's", b: 42, c: null }), JSON.stringify(r.rows[0]));
  });

  await check('result_types', async () => {
    const r = await client.query('select l_orderkey, l_quantity, l_returnflag, l_shipdate, l_quantity > 10 as big ' +
      'from lineitem where l_orderkey = 1 and l_linenumber = 1');
    const oids = r.fields.map((f) => f.dataTypeID).join(',');
    require_(oids === '23,1700,25,1082,16', `type OIDs ${oids}, want 23,1700,25,1082,16`);
    const row = r.rows[0];
    const kinds = [typeof row.l_orderkey, typeof row.l_quantity, typeof row.l_returnflag, typeof row.l_shipdate, typeof row.big].join(',');
    // int4 -> number, numeric -> string (exact), text, date (kept raw), bool.
    require_(kinds === 'number,string,string,string,boolean', `JS types ${kinds}`);
    require_(/^\d{4}-\d\d-\d\d$/.test(row.l_shipdate), `date ${row.l_shipdate}`);
  });

  await check('tables_query', async () => {
    const r = await client.query({
      text: "select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE' order by 1",
      values: ['public'],
    });
    write('tables.txt', r.rows.map((x) => x.table_name + '\n').join(''));
  });

  await check('columns_query', async () => {
    const r = await client.query({
      text: `select a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) as typ
        from pg_catalog.pg_attribute a
        join pg_catalog.pg_class c on c.oid = a.attrelid
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relname = $1 and a.attnum > 0 and not a.attisdropped
        order by a.attnum`,
      values: ['lineitem'],
    });
    write('columns.txt', r.rows.map((x) => `${x.attname} ${x.typ}\n`).join(''));
  });

  // The 22 queries over the simple protocol, then over the extended one
  // (Parse/Bind/Describe/Execute of an unnamed statement).
  for (const [dir, mode] of [['tpch', undefined], ['tpch_extended', 'extended']]) {
    for (let q = 1; q <= 22; q++) {
      const name = 'q' + String(q).padStart(2, '0');
      const sql = fs.readFileSync(path.join(QUERIES, name + '.sql'), 'utf8');
      try {
        // rowMode array keeps duplicate column names and their order.
        const r = await client.query({ text: sql, rowMode: 'array', queryMode: mode });
        write(`${dir}/${name}.csv`, toCSV(r));
      } catch (e) {
        write(`${dir}/${name}.err`, oneLine(e));
      }
    }
  }
  console.log(`# ${version[0][Object.keys(version[0])[0]] || version[0][0]}`);
  await client.end();
}

// auth logs in with PGPASSWORD over TLS (PGSSLMODE=no-verify) with
// SCRAM-SHA-256; run by TestClientsAuth.
async function auth() {
  await check('scram_tls', async () => {
    const client = new Client();
    await client.connect();
    try {
      const r = await client.query('select current_user as u');
      require_(r.rows[0].u === process.env.PGUSER, `current_user ${r.rows[0].u}`);
      require_(client.connection.stream.encrypted === true, 'the connection is not TLS');
    } finally {
      await client.end();
    }
  });
  await check('wrong_password', async () => {
    const client = new Client({ password: 'wrong' });
    try {
      await client.connect();
    } catch (e) {
      require_(e.code === '28P01', `${oneLine(e)}`);
      return;
    }
    await client.end();
    throw new Error('a wrong password logged in');
  });
}

(process.argv[2] === 'auth' ? auth() : main()).catch((e) => {
  console.error(e);
  process.exit(1);
});
