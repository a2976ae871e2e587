\set ok random(1, 6000000)
\set pk random(1, 200000)
\set ck random(1, 150000)
\set nk random(0, 24)
SELECT * FROM orders WHERE o_orderkey = :ok;
SELECT p_name, p_brand, p_retailprice FROM part WHERE p_partkey = :pk;
SELECT c_name, c_acctbal, n_name FROM customer JOIN nation ON c_nationkey = n_nationkey WHERE c_custkey = :ck;
SELECT r_name, count(*) AS nations FROM nation JOIN region ON n_regionkey = r_regionkey GROUP BY r_name ORDER BY r_name;
SELECT count(*) FROM supplier WHERE s_nationkey = :nk;
