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
// Streams are Arrow IPC messages, one FlightData each. The exchange
// compresses their bodies itself (codec.go) rather than through arrow-go's
// IPC compression, which built a new LZ4 frame or ZSTD encoder for every
// buffer and a new decoder for every batch: fixed-width buffers are
// byte-shuffled and their constant byte planes dropped (shuffle.go), the
// body is compressed in 128 KB chunks on every core with encoders that
// outlive the stream (LZ4 by default, ZSTD, S2 or none: Config.Compression)
// and checksummed (CRC-32C). The framing is this build's own, carried in
// AppMetadata; nodes run identical builds. A gRPC codec (wire.go) hands
// pooled bodies to gRPC without copying them into a marshalled message and
// reads a FlightData with one copy; compressed bodies are decoded into the
// receiver's allocator.
//
// Memory in flight is bounded: an Outbound queues at most
// Config.StreamBuffer bytes (or one batch) and its producer waits while the
// queue is full, so a slow
// consumer slows the producer through gRPC's flow control instead of
// letting batches pile up. A consumer that cancels, a CancelQuery (local, or
// from another node through the "basalt.cancel-query" action) or a producer
// error ends both sides and releases every queued batch. Every call carries
// a token derived from the cluster key (Token); calls without it get
// codes.Unauthenticated and a log line.
//
// Loopback throughput: see the exchange section of benchmarks/README.md
// (BenchmarkLoopback, BenchmarkBodyCodec). In short, on the shared 2-core
// machine at load average 4.5-8 (other sessions running), MB/s of Arrow
// data through one stream (both ends in one process), MB per CPU second of
// both ends, and Arrow bytes over wire bytes:
//
//	none   770-1000 MB/s   950-1020 MB/cpu-s   ratio  1.0
//	lz4     260-370 MB/s    356-394 MB/cpu-s   ratio  6.3
//	zstd    148-247 MB/s    235-259 MB/cpu-s   ratio 10.0
//	s2      340-480 MB/s    464-500 MB/cpu-s   ratio  6.6
//
// (arrow-go's compression gave 224-240 MB/cpu-s at ratio 1.85 for LZ4 and
// 77-86 at 3.9 for ZSTD.) Both ends share the two cores, so a loopback
// stream runs at most at about twice its MB per CPU second: 1 GB/s is
// reached uncompressed (1.4-1.8 GB/s on an idle machine), not with LZ4,
// whose pure-Go compressor is the largest cost.
//
// exchange imports exec, exec/ops, sql/sqlerr, Arrow (arrow/flight, ipc) and
// gRPC; it knows nothing of plans, which the scheduler builds around it.
package exchange
