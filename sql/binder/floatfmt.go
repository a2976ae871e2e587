package binder

import "strconv"

func floatFmt(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
