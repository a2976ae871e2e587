package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Loopback is one line of exec/exchange's BenchmarkLoopback: one Flight
// stream (Sender -> DoGet -> Receiver) on 127.0.0.1 carrying 1M mixed rows.
type Loopback struct {
	Compression string
	MBps        float64 // uncompressed Arrow bytes per second, in MB (1e6)
	MBpsCPU     float64 // the same per CPU second of both ends (0 when not reported)
	Ratio       float64 // Arrow bytes over wire bytes
	BytesPerOp  int64   // Go heap allocated per 1M rows
}

// RunLoopback runs the exchange's own BenchmarkLoopback in the main module
// at root (go test -bench) and parses its lines. The cluster's bytes over
// its wall time would not be a throughput: the streams spend most of that
// time waiting for the operators that feed them.
func RunLoopback(ctx context.Context, root, benchtime string) ([]Loopback, string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkLoopback$",
		"-benchtime", benchtime, "./exec/exchange/")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, string(out), fmt.Errorf("go test -bench Loopback: %w\n%s", err, out)
	}
	ls, err := ParseLoopback(string(out))
	return ls, string(out), err
}

// ParseLoopback reads `go test -bench` output lines such as
//
//	BenchmarkLoopback/lz4-2   5   212345678 ns/op   88.12 MB/s   310.5 MB/cpu-s   6.300 ratio   197000000 B/op   1234 allocs/op
func ParseLoopback(out string) ([]Loopback, error) {
	var ls []Loopback
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasPrefix(f[0], "BenchmarkLoopback/") {
			continue
		}
		name := strings.TrimPrefix(f[0], "BenchmarkLoopback/")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
		}
		l := Loopback{Compression: name}
		for i := 1; i+1 < len(f); i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "MB/s":
				l.MBps = v
			case "MB/cpu-s":
				l.MBpsCPU = v
			case "ratio":
				l.Ratio = v
			case "B/op":
				l.BytesPerOp = int64(v)
			}
		}
		if l.MBps == 0 {
			return nil, fmt.Errorf("no MB/s in %q", line)
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no BenchmarkLoopback lines in the output:\n%s", out)
	}
	return ls, nil
}
