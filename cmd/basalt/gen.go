package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/basaltdb/basalt/storage/tpchgen"
)

func genCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "tpch" {
		return fmt.Errorf("usage: basalt gen tpch --sf N --out DIR")
	}
	fs := flag.NewFlagSet("gen tpch", flag.ContinueOnError)
	sf := fs.String("sf", "1", "scale factor (1 = about 1 GB of CSV; fractions such as 0.1 for small sets)")
	out := fs.String("out", "", "output directory")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("--out DIR is required")
	}
	scale, err := strconv.ParseFloat(*sf, 64)
	if err != nil || scale <= 0 {
		return fmt.Errorf("invalid scale factor %q", *sf)
	}
	// go-tpc's dbgen prints its own "generating ..." lines to stdout; keep
	// stdout for what the user asked for.
	if devnull, err := os.Open(os.DevNull); err == nil {
		stdout := os.Stdout
		os.Stdout = devnull
		defer func() {
			os.Stdout = stdout
			devnull.Close()
		}()
	}
	var progress *os.File
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		progress = os.Stderr
	}
	if progress == nil {
		return tpchgen.Generate(ctx, scale, *out, nil)
	}
	return tpchgen.Generate(ctx, scale, *out, progress)
}
