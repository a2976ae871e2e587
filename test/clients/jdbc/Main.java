// pgjdbc (Debian's libpostgresql-jdbc-java, 42.x) against basalt serve.
// Run by test/clients (clients_test.go), which says where the server is
// and where to write, through the environment; see harness_test.go for the
// protocol (CHECK lines on stdout, tables.txt, columns.txt, tpch/qNN.csv).

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.postgresql.PGStatement;

public class Main {
    static final Path OUT = Paths.get(System.getenv("BASALT_OUT"));
    static final Path QUERIES = Paths.get(System.getenv("BASALT_QUERIES"));

    interface Check {
        void run(Connection c) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("auth")) {
            auth();
            return;
        }
        String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/"
                + System.getenv("PGDATABASE");
        Properties props = new Properties();
        props.setProperty("user", System.getenv("PGUSER"));
        props.setProperty("sslmode", "disable");
        props.setProperty("ApplicationName", "basalt-clients-jdbc");
        try (Connection c = DriverManager.getConnection(url, props)) {
            System.out.println("# " + c.getMetaData().getDatabaseProductName() + " "
                    + c.getMetaData().getDatabaseProductVersion() + " via " + c.getMetaData().getDriverVersion());
            check(c, "connect", Main::connect);
            check(c, "schemas", Main::schemas);
            check(c, "tables_metadata", Main::tables);
            check(c, "columns_metadata", Main::columns);
            check(c, "type_info", Main::typeInfo);
            check(c, "primary_keys", Main::primaryKeys);
            check(c, "prepared_binary", Main::preparedBinary);
            check(c, "prepared_typed_params", Main::typedParams);
            check(c, "fetch_size", Main::fetchSize);
            check(c, "result_metadata", Main::resultMetadata);
            check(c, "query_timeout", Main::queryTimeout);
            tpch(c, "tpch");
        }
        // prepareThreshold=-1 makes every statement a named server-side one
        // with binary results from its first execution: the 22 answers
        // then come back in binary (numeric, date, int8 ...).
        props.setProperty("prepareThreshold", "-1");
        try (Connection c = DriverManager.getConnection(url, props)) {
            tpch(c, "tpch_binary");
        }
    }

    // auth logs in with PGPASSWORD over TLS (sslmode=require: encrypted,
    // certificate not verified) and SCRAM-SHA-256; run by TestClientsAuth.
    static void auth() {
        String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/"
                + System.getenv("PGDATABASE");
        Properties props = new Properties();
        props.setProperty("user", System.getenv("PGUSER"));
        props.setProperty("password", System.getenv("PGPASSWORD"));
        props.setProperty("sslmode", "require");
        try (Connection c = DriverManager.getConnection(url, props);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select current_user")) {
            require(rs.next() && System.getenv("PGUSER").equals(rs.getString(1)), "current_user " + rs.getString(1));
            System.out.println("CHECK scram_tls ok");
        } catch (Throwable e) {
            System.out.println("CHECK scram_tls FAIL " + oneLine(e));
            e.printStackTrace();
        }
        props.setProperty("password", "wrong");
        try (Connection c = DriverManager.getConnection(url, props)) {
            System.out.println("CHECK wrong_password FAIL a wrong password logged in");
        } catch (SQLException e) {
            if ("28P01".equals(e.getSQLState())) {
                System.out.println("CHECK wrong_password ok");
            } else {
                System.out.println("CHECK wrong_password FAIL " + oneLine(e));
            }
        }
    }

    static void check(Connection c, String name, Check body) {
        try {
            body.run(c);
            System.out.println("CHECK " + name + " ok");
        } catch (Throwable e) {
            System.out.println("CHECK " + name + " FAIL " + oneLine(e));
            e.printStackTrace();
            // A failed check must not leave the next one in an aborted
            // transaction or with autocommit off.
            try {
                if (!c.getAutoCommit()) {
                    c.rollback();
                    c.setAutoCommit(true);
                }
            } catch (SQLException ignored) {
            }
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (e instanceof SQLException && ((SQLException) e).getSQLState() != null) {
            m += " (SQLSTATE " + ((SQLException) e).getSQLState() + ")";
        }
        return m.replaceAll("\\s+", " ");
    }

    static void require(boolean ok, String msg) {
        if (!ok) {
            throw new AssertionError(msg);
        }
    }

    static void connect(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
            require(rs.next() && rs.getInt(1) == 1, "select 1");
        }
    }

    static void schemas(Connection c) throws SQLException {
        List<String> got = new ArrayList<>();
        try (ResultSet rs = c.getMetaData().getSchemas()) {
            while (rs.next()) {
                got.add(rs.getString("TABLE_SCHEM"));
            }
        }
        require(got.contains("public"), "getSchemas() lacks public: " + got);
        require(got.contains("pg_catalog"), "getSchemas() lacks pg_catalog: " + got);
    }

    static void tables(Connection c) throws SQLException, IOException {
        StringBuilder sb = new StringBuilder();
        try (ResultSet rs = c.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                require("public".equals(rs.getString("TABLE_SCHEM")), "TABLE_SCHEM " + rs.getString("TABLE_SCHEM"));
                require("TABLE".equals(rs.getString("TABLE_TYPE")), "TABLE_TYPE " + rs.getString("TABLE_TYPE"));
                sb.append(rs.getString("TABLE_NAME")).append('\n');
            }
        }
        Files.write(OUT.resolve("tables.txt"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    // getColumns reports TYPE_NAME in the catalog's spelling (int4), the
    // java.sql.Types code, and precision/scale apart; columns.txt wants
    // format_type's spelling, so the known names are mapped back, and the
    // JDBC type codes are checked here.
    static void columns(Connection c) throws SQLException, IOException {
        StringBuilder sb = new StringBuilder();
        List<String> bad = new ArrayList<>();
        try (ResultSet rs = c.getMetaData().getColumns(null, "public", "lineitem", "%")) {
            int pos = 0;
            while (rs.next()) {
                pos++;
                String name = rs.getString("COLUMN_NAME");
                String typ = rs.getString("TYPE_NAME");
                int jdbcType = rs.getInt("DATA_TYPE");
                int ord = rs.getInt("ORDINAL_POSITION");
                if (ord != pos) {
                    bad.add(name + " ORDINAL_POSITION " + ord + ", want " + pos);
                }
                String pg;
                int wantJdbc;
                switch (typ) {
                    case "int4":
                        pg = "integer";
                        wantJdbc = Types.INTEGER;
                        break;
                    case "numeric":
                        pg = "numeric(" + rs.getInt("COLUMN_SIZE") + "," + rs.getInt("DECIMAL_DIGITS") + ")";
                        wantJdbc = Types.NUMERIC;
                        break;
                    case "text":
                        pg = "text";
                        wantJdbc = Types.VARCHAR;
                        break;
                    case "date":
                        pg = "date";
                        wantJdbc = Types.DATE;
                        break;
                    default:
                        pg = "?" + typ;
                        wantJdbc = jdbcType;
                }
                if (jdbcType != wantJdbc) {
                    bad.add(name + " DATA_TYPE " + jdbcType + ", want " + wantJdbc);
                }
                sb.append(name).append(' ').append(pg).append('\n');
            }
        }
        Files.write(OUT.resolve("columns.txt"), sb.toString().getBytes(StandardCharsets.UTF_8));
        require(bad.isEmpty(), String.join("; ", bad));
    }

    static void typeInfo(Connection c) throws SQLException {
        List<String> got = new ArrayList<>();
        try (ResultSet rs = c.getMetaData().getTypeInfo()) {
            while (rs.next()) {
                got.add(rs.getString("TYPE_NAME"));
            }
        }
        for (String want : new String[] {"bool", "int2", "int4", "int8", "float8", "numeric", "text", "varchar", "date", "timestamp", "timestamptz"}) {
            require(got.contains(want), "getTypeInfo() lacks " + want + " (has " + got.size() + " types)");
        }
    }

    static void primaryKeys(Connection c) throws SQLException {
        // Parquet tables have no keys: the call must work and return none.
        try (ResultSet rs = c.getMetaData().getPrimaryKeys(null, "public", "lineitem")) {
            require(!rs.next(), "lineitem has a primary key?");
        }
    }

    // Past prepareThreshold (5) executions pgjdbc switches to a named
    // server-side statement and asks for binary results of the types it
    // knows (int4, numeric, date ...). Every execution must give the same
    // answer as a plain literal query.
    static void preparedBinary(Connection c) throws SQLException {
        String sql = "select l_orderkey, l_linenumber, l_quantity, l_extendedprice, l_shipdate, l_comment from lineitem where l_orderkey = ? and l_linenumber = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            boolean serverPrepared = false;
            // TPC-H order keys are sparse: 1-7, 32-39, ...
            int[] keys = {1, 2, 3, 4, 5, 6, 7, 32, 33, 34};
            for (int i = 0; i < keys.length; i++) {
                int key = keys[i];
                ps.setInt(1, key);
                ps.setInt(2, 1);
                String got;
                try (ResultSet rs = ps.executeQuery()) {
                    got = rows(rs);
                }
                String want;
                try (Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery(sql.replace("l_orderkey = ?", "l_orderkey = " + key).replace("l_linenumber = ?", "l_linenumber = 1"))) {
                    want = rows(rs);
                }
                require(!want.isEmpty(), "no row for l_orderkey " + key);
                require(got.equals(want), "execution " + (i + 1) + ": " + got + ", want " + want);
                serverPrepared |= ps.unwrap(PGStatement.class).isUseServerPrepare();
            }
            require(serverPrepared, "pgjdbc never used a server-prepared statement");
        }
    }

    static String rows(ResultSet rs) throws SQLException {
        StringBuilder sb = new StringBuilder();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            for (int i = 1; i <= n; i++) {
                sb.append(i > 1 ? "|" : "").append(rs.getString(i));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static void typedParams(Connection c) throws SQLException {
        String sql = "select count(*), sum(l_extendedprice) from lineitem where l_shipdate <= ? and l_discount between ? and ? and l_returnflag = ? and l_quantity < ?";
        String lit = "select count(*), sum(l_extendedprice) from lineitem where l_shipdate <= date '1995-06-30' and l_discount between 0.02 and 0.05 and l_returnflag = 'R' and l_quantity < 30";
        String want;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(lit)) {
            want = rows(rs);
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < 7; i++) {
                ps.setDate(1, java.sql.Date.valueOf("1995-06-30"));
                ps.setBigDecimal(2, new BigDecimal("0.02"));
                ps.setBigDecimal(3, new BigDecimal("0.05"));
                ps.setString(4, "R");
                ps.setLong(5, 30L);
                String got;
                try (ResultSet rs = ps.executeQuery()) {
                    got = rows(rs);
                }
                require(got.equals(want), "execution " + (i + 1) + ": " + got + ", want " + want);
            }
        }
    }

    // With autocommit off and a fetch size, pgjdbc reads through a portal
    // 100 rows at a time (Execute with a row limit, PortalSuspended).
    static void fetchSize(Connection c) throws SQLException {
        long want;
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select count(*) from lineitem")) {
            rs.next();
            want = rs.getLong(1);
        }
        c.setAutoCommit(false);
        long n = 0;
        long sum = 0;
        try (Statement s = c.createStatement()) {
            s.setFetchSize(100);
            try (ResultSet rs = s.executeQuery("select l_orderkey, l_linenumber from lineitem")) {
                while (rs.next()) {
                    n++;
                    sum += rs.getInt(2);
                }
            }
        }
        c.commit();
        c.setAutoCommit(true);
        require(n == want, n + " rows, want " + want);
        require(sum > n, "l_linenumber sums to " + sum);
    }

    // ResultSetMetaData comes from RowDescription (type OID and modifier):
    // what BI tools read to format columns.
    static void resultMetadata(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select l_orderkey, l_quantity, l_returnflag, l_shipdate, count(*) over () as n, l_tax * 2 as t from lineitem limit 1")) {
            ResultSetMetaData md = rs.getMetaData();
            String got = "";
            for (int i = 1; i <= md.getColumnCount(); i++) {
                got += md.getColumnLabel(i) + ":" + md.getColumnTypeName(i) + ":" + md.getColumnType(i) + " ";
            }
            String want = "l_orderkey:int4:4 l_quantity:numeric:2 l_returnflag:text:12 l_shipdate:date:91 n:int8:-5 t:numeric:2 ";
            require(got.equals(want), "columns " + got + ", want " + want);
            require(md.getPrecision(2) == 15 && md.getScale(2) == 2, "l_quantity precision/scale " + md.getPrecision(2) + "/" + md.getScale(2) + ", want 15/2");
        }
    }

    // setQueryTimeout makes pgjdbc send a CancelRequest when the time is
    // up; the statement must fail with 57014 and the connection stay usable.
    static void queryTimeout(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.setQueryTimeout(1);
            long start = System.nanoTime();
            try {
                s.executeQuery("select count(*) from lineitem a, lineitem b where a.l_quantity + b.l_quantity > 0");
                throw new AssertionError("the query was not canceled");
            } catch (SQLException e) {
                require("57014".equals(e.getSQLState()), "SQLSTATE " + e.getSQLState() + ": " + e.getMessage());
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            require(ms < 10_000, "the cancel took " + ms + " ms");
        }
        connect(c);
    }

    static void tpch(Connection c, String out) throws IOException {
        Path dir = OUT.resolve(out);
        Files.createDirectories(dir);
        for (int q = 1; q <= 22; q++) {
            String name = String.format("q%02d", q);
            String sql = new String(Files.readAllBytes(QUERIES.resolve(name + ".sql")), StandardCharsets.UTF_8);
            try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
                Files.write(dir.resolve(name + ".csv"), csv(rs).getBytes(StandardCharsets.UTF_8));
            } catch (SQLException e) {
                Files.write(dir.resolve(name + ".err"), oneLine(e).getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    static String csv(ResultSet rs) throws SQLException {
        StringBuilder sb = new StringBuilder();
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        for (int i = 1; i <= n; i++) {
            sb.append(i > 1 ? "," : "").append(field(md.getColumnLabel(i)));
        }
        sb.append('\n');
        while (rs.next()) {
            for (int i = 1; i <= n; i++) {
                String v;
                if (md.getColumnType(i) == Types.NUMERIC) {
                    BigDecimal d = rs.getBigDecimal(i);
                    v = d == null ? null : d.toPlainString();
                } else {
                    v = rs.getString(i);
                }
                sb.append(i > 1 ? "," : "").append(v == null ? "" : field(v));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String field(String s) {
        if (s.isEmpty() || s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }
}
