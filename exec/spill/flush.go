package spill

// Flush writes the batches held for coalescing now. Callers with a small
// memory budget use it when Buffered grows past what they can hold: the
// held batches may pin the buffers of whole input batches.
func (w *Writer) Flush() error {
	if w.done {
		return nil
	}
	return w.flush()
}
