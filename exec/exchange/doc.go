// Package exchange moves Arrow record batches between the nodes of a
// cluster: the exchange of DESIGN.md's plan, as operators over Arrow Flight.
//
// A producing task's plan ends in a Sender, which deals its input's rows out
// to N destination partitions by a hash of key columns (ops.Partitioner, the
// same rule as the local ops.Repartition, so local and remote placement
// agree). Each destination is an Outlet; across nodes it is an *Outbound
// registered in this node's Service under a StreamKey (query, stage, task,
// partition). A consuming task on any node reads it with a Receiver, which
// calls DoGet on the producer's Flight address; several receivers under an
// ops.Gather read one partition from every producing task.
//
// Streams are Arrow IPC messages whose bodies the exchange compresses
// itself (codec.go: LZ4 by default, ZSTD, S2 or none; chunked, compressed
// on every core, checksummed) and hands to gRPC without copying
// (wire.go). Memory
// in flight is bounded: an Outbound queues at most Config.StreamBuffer bytes
// (or one batch) and its producer waits while the queue is full, so a slow
// consumer slows the producer through gRPC's flow control instead of
// letting batches pile up. A consumer that cancels, a CancelQuery (local, or
// from another node through the "basalt.cancel-query" action) or a producer
// error ends both sides and releases every queued batch. Every call carries
// a token derived from the cluster key (Token); calls without it get
// codes.Unauthenticated and a log line.
//
// Loopback throughput (BenchmarkLoopback: 1M rows of int64, float64,
// text, numeric, date, timestamp and boolean columns in 8192-row batches,
// one stream, on the 2-core machine at load average 16 (other sessions
// running), so pessimistic; MB/s of
// uncompressed Arrow buffers; ratio = Arrow bytes / wire bytes):
//
//	none  395 MB/s  ratio 1.0
//	lz4    88 MB/s  ratio 1.9
//	zstd   34 MB/s  ratio 3.9
//
// Far below the 1 GB/s target: arrow-go's IPC compression (a new
// LZ4 frame or ZSTD encoder per buffer, ~200 MB and ~1.6 GB allocated per
// 1M rows) dominates, then the two copies of every body (IPC buffer, then
// protobuf). See benchmarks/README.md for what to try next.
//
// exchange imports exec, exec/ops, sql/sqlerr, Arrow (arrow/flight, ipc) and
// gRPC; it knows nothing of plans, which the scheduler builds around it.
package exchange
