package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/bitpacked"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// pageSource yields the data pages of one column chunk, in order, and io.EOF
// after the last. Most chunks are read by parquet-go (filePages); INT32
// chunks with DELTA_BINARY_PACKED pages by int32Pages.
type pageSource interface {
	ReadPage() (dataPage, error)
	Close() error
}

// dataPage is what the column decoders use of a page. parquet.Page has it.
type dataPage interface {
	NumRows() int64
	DefinitionLevels() []byte
	Data() encoding.Values
	Dictionary() parquet.Dictionary
}

// releasePage hands a parquet-go page back to its buffer pool; pages of
// Basalt's own sources need no release.
func releasePage(p dataPage) {
	if pp, ok := p.(parquet.Page); ok {
		parquet.Release(pp)
	}
}

// filePages adapts parquet-go's page reader to pageSource.
type filePages struct{ *parquet.FilePages }

func (f filePages) ReadPage() (dataPage, error) {
	p, err := f.FilePages.ReadPage()
	if err != nil {
		// A nil parquet.Page must not become a non-nil dataPage.
		return nil, err
	}
	return p, nil
}

// chunkPages returns the page source for leaf l's chunk cc in row group rg of
// the file read through fh. parquet-go v0.32.0 decodes DELTA_BINARY_PACKED
// INT32 pages in 32-bit arithmetic (see delta.go), so INT32 chunks that list
// that encoding are read by int32Pages instead; everything else, and
// encrypted chunks, which int32Pages cannot read, stays with parquet-go.
func chunkPages(fh io.ReaderAt, fc *parquet.FileColumnChunk, cc *format.ColumnChunk, l *leaf) pageSource {
	if l.phys == format.Int32 && cc.CryptoMetadata.Value == nil && len(cc.EncryptedColumnMetadata) == 0 &&
		slices.Contains(cc.MetaData.Encoding, format.DeltaBinaryPacked) {
		return newInt32Pages(fh, cc, l)
	}
	return filePages{fc.PagesFrom(fh)}
}

// maxPageBytes bounds the page sizes a header may declare, so a corrupt
// header is reported instead of allocating gigabytes.
const maxPageBytes = 1 << 30

// int32Pages reads the pages of one INT32 column chunk itself: page headers
// with parquet-go's thrift decoder, bodies decompressed with parquet-go's
// codecs, levels with its RLE decoder, and values with Basalt's decoders for
// every encoding an INT32 page may use (PLAIN, dictionary, DELTA_BINARY_PACKED,
// BYTE_STREAM_SPLIT). A chunk may mix them: writers fall back from a
// dictionary to another encoding mid-chunk. Buffers are reused from page to
// page: the page cursor holds one page at a time.
type int32Pages struct {
	name     string
	optional bool
	codec    compress.Codec // nil when the chunk is not compressed
	sec      *io.SectionReader
	br       *bufio.Reader
	dec      *thrift.Decoder
	ordinal  int // of the next page, for error messages
	closed   bool

	dict    []int32
	hasDict bool

	comp   []byte // page bytes as stored
	raw    []byte // decompressed
	levels []byte
	idx    []int32
	page   int32Page
}

// int32Page is one decoded page: rows definition levels (nil for a required
// column) and the dense non-NULL values.
type int32Page struct {
	rows int
	def  []byte
	vals []int32
}

func (p *int32Page) NumRows() int64                 { return int64(p.rows) }
func (p *int32Page) DefinitionLevels() []byte       { return p.def }
func (p *int32Page) Data() encoding.Values          { return encoding.Int32Values(p.vals) }
func (p *int32Page) Dictionary() parquet.Dictionary { return nil }

func newInt32Pages(fh io.ReaderAt, cc *format.ColumnChunk, l *leaf) *int32Pages {
	md := &cc.MetaData
	start := md.DataPageOffset
	// The dictionary page, when there is one, comes first. Some writers
	// leave its offset 0 for "none".
	if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
		start = md.DictionaryPageOffset
	}
	p := &int32Pages{
		name:     l.name,
		optional: l.optional,
		sec:      io.NewSectionReader(fh, start, md.TotalCompressedSize),
	}
	if md.Codec != format.Uncompressed {
		p.codec = parquet.LookupCompressionCodec(md.Codec)
	}
	p.br = bufio.NewReaderSize(p.sec, 32<<10)
	var proto thrift.CompactProtocol
	p.dec = thrift.NewDecoder(proto.NewReader(p.br))
	return p
}

func (p *int32Pages) Close() error {
	p.closed = true
	p.comp, p.raw, p.levels, p.idx, p.dict, p.page = nil, nil, nil, nil, nil, int32Page{}
	return nil
}

func (p *int32Pages) ReadPage() (dataPage, error) {
	if p.closed {
		return nil, errors.New("storage: ReadPage on closed pages")
	}
	for {
		ord := p.ordinal
		pg, err := p.readPage()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("column %q, page %d: %w", p.name, ord, err)
		}
		if pg != nil {
			return pg, nil
		}
	}
}

// readPage reads the next page; a dictionary or index page yields nil.
func (p *int32Pages) readPage() (*int32Page, error) {
	var h format.PageHeader
	if err := p.dec.Decode(&h); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("reading page header: %w", err)
	}
	p.ordinal++
	if h.CompressedPageSize < 0 || h.CompressedPageSize > maxPageBytes ||
		h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
		return nil, fmt.Errorf("invalid page sizes %d (compressed), %d (uncompressed)", h.CompressedPageSize, h.UncompressedPageSize)
	}
	p.comp = grow(p.comp, int(h.CompressedPageSize))
	if _, err := io.ReadFull(p.br, p.comp); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading page of %d bytes: %w", len(p.comp), err)
	}
	if h.CRC != 0 {
		if got := crc32.ChecksumIEEE(p.comp); got != uint32(h.CRC) {
			return nil, fmt.Errorf("page checksum 0x%08x, header says 0x%08x", got, uint32(h.CRC))
		}
	}
	switch h.Type {
	case format.DictionaryPage:
		if !h.DictionaryPageHeader.Valid {
			return nil, errors.New("dictionary page without its header")
		}
		return nil, p.readDictionary(&h)
	case format.DataPage:
		if !h.DataPageHeader.Valid {
			return nil, errors.New("data page without its header")
		}
		return p.readV1(&h)
	case format.DataPageV2:
		if !h.DataPageHeaderV2.Valid {
			return nil, errors.New("data page v2 without its header")
		}
		return p.readV2(&h)
	}
	// Index pages (never written in practice) carry no rows.
	return nil, nil
}

// decompress returns the uncompressed form of src, size bytes long.
func (p *int32Pages) decompress(src []byte, size int) ([]byte, error) {
	if p.codec == nil {
		return src, nil
	}
	out, err := p.codec.Decode(grow(p.raw, size), src)
	if err != nil {
		return nil, fmt.Errorf("decompressing %s page: %w", p.codec, err)
	}
	p.raw = out
	if len(out) != size {
		return nil, fmt.Errorf("page decompresses to %d bytes, header says %d", len(out), size)
	}
	return out, nil
}

func (p *int32Pages) readDictionary(h *format.PageHeader) error {
	dh := &h.DictionaryPageHeader.V
	if dh.Encoding != format.Plain && dh.Encoding != format.PlainDictionary {
		return fmt.Errorf("dictionary page encoding %s", dh.Encoding)
	}
	data, err := p.decompress(p.comp, int(h.UncompressedPageSize))
	if err != nil {
		return err
	}
	n := int(dh.NumValues)
	if n < 0 || len(data) < 4*n {
		return fmt.Errorf("dictionary of %d values in %d bytes: %w", n, len(data), io.ErrUnexpectedEOF)
	}
	// A fresh slice: the pages that index it outlive this buffer.
	p.dict = make([]int32, n)
	copy(int32Bytes(p.dict), data)
	p.hasDict = true
	return nil
}

// readV1 decodes a version 1 data page: levels and values compressed
// together; definition levels (of an optional column) first, RLE with a
// 4-byte length prefix or the deprecated BIT_PACKED without one.
func (p *int32Pages) readV1(h *format.PageHeader) (*int32Page, error) {
	dh := &h.DataPageHeader.V
	data, err := p.decompress(p.comp, int(h.UncompressedPageSize))
	if err != nil {
		return nil, err
	}
	rows := int(dh.NumValues)
	pg := &p.page
	pg.rows, pg.def = rows, nil
	nvals := rows
	if p.optional {
		var levels []byte
		switch dh.DefinitionLevelEncoding {
		case format.RLE:
			if len(data) < 4 {
				return nil, fmt.Errorf("definition levels: %w", io.ErrUnexpectedEOF)
			}
			n := binary.LittleEndian.Uint32(data)
			if uint64(n) > uint64(len(data)-4) {
				return nil, fmt.Errorf("definition levels of %d bytes in %d: %w", n, len(data)-4, io.ErrUnexpectedEOF)
			}
			levels, data = data[4:4+n], data[4+n:]
		case format.BitPacked:
			n := (rows + 7) / 8
			if n > len(data) {
				return nil, fmt.Errorf("definition levels: %w", io.ErrUnexpectedEOF)
			}
			levels, data = data[:n], data[n:]
		default:
			return nil, fmt.Errorf("definition level encoding %s", dh.DefinitionLevelEncoding)
		}
		if p.levels, err = decodeLevels(p.levels, levels, rows, dh.DefinitionLevelEncoding); err != nil {
			return nil, err
		}
		pg.def = p.levels
		nvals = countDefined(pg.def, 1)
	}
	return pg, p.decodeValues(pg, dh.Encoding, data, nvals)
}

// readV2 decodes a version 2 data page: levels uncompressed, with their
// lengths in the header, then the values, compressed unless the header says
// otherwise.
func (p *int32Pages) readV2(h *format.PageHeader) (*int32Page, error) {
	dh := &h.DataPageHeaderV2.V
	repLen, defLen := int(dh.RepetitionLevelsByteLength), int(dh.DefinitionLevelsByteLength)
	if repLen < 0 || defLen < 0 || repLen+defLen > len(p.comp) {
		return nil, fmt.Errorf("level lengths %d+%d exceed the page's %d bytes", repLen, defLen, len(p.comp))
	}
	rows := int(dh.NumRows)
	if rows < 0 || int(dh.NumValues) != rows {
		// Flat columns have one value (NULL or not) per row.
		return nil, fmt.Errorf("page has %d values for %d rows", dh.NumValues, rows)
	}
	pg := &p.page
	pg.rows, pg.def = rows, nil
	nvals := rows
	if p.optional {
		var err error
		if p.levels, err = decodeLevels(p.levels, p.comp[repLen:repLen+defLen], rows, format.RLE); err != nil {
			return nil, err
		}
		pg.def = p.levels
		nvals = countDefined(pg.def, 1)
	}
	data := p.comp[repLen+defLen:]
	if !dh.IsCompressed.Valid || dh.IsCompressed.V {
		var err error
		if data, err = p.decompress(data, int(h.UncompressedPageSize)-repLen-defLen); err != nil {
			return nil, err
		}
	}
	return pg, p.decodeValues(pg, dh.Encoding, data, nvals)
}

// decodeLevels decodes n definition levels of a column whose maximum level
// is 1 into dst.
func decodeLevels(dst, src []byte, n int, enc format.Encoding) ([]byte, error) {
	var out []byte
	var err error
	if enc == format.BitPacked {
		e := bitpacked.Encoding{BitWidth: 1}
		out, err = e.DecodeLevels(dst[:0], src)
	} else {
		e := rle.Encoding{BitWidth: 1}
		out, err = e.DecodeLevels(dst[:0], src)
	}
	if err != nil {
		return nil, fmt.Errorf("definition levels: %w", err)
	}
	// Bit-packed runs are padded to multiples of 8 levels.
	if len(out) < n {
		return nil, fmt.Errorf("page has %d definition levels for %d rows: %w", len(out), n, io.ErrUnexpectedEOF)
	}
	return out[:n], nil
}

// decodeValues decodes the n non-NULL values of a page from data.
func (p *int32Pages) decodeValues(pg *int32Page, enc format.Encoding, data []byte, n int) error {
	if n == 0 {
		// All NULL: writers may leave out even the encoding's header.
		pg.vals = pg.vals[:0]
		return nil
	}
	var err error
	switch enc {
	case format.DeltaBinaryPacked:
		pg.vals, _, err = deltaDecode(pg.vals, data, n)
	case format.Plain:
		if len(data) < 4*n {
			return fmt.Errorf("PLAIN page of %d values in %d bytes: %w", n, len(data), io.ErrUnexpectedEOF)
		}
		pg.vals = grow(pg.vals, n)
		copy(int32Bytes(pg.vals), data)
	case format.RLEDictionary, format.PlainDictionary:
		if !p.hasDict {
			return errors.New("dictionary-encoded page without a dictionary page")
		}
		var dict rle.DictionaryEncoding
		// The decoder needs a buffer of at least n indexes.
		if p.idx, err = dict.DecodeInt32(grow(p.idx, n), data); err != nil {
			return fmt.Errorf("dictionary indexes: %w", err)
		}
		if len(p.idx) < n {
			return fmt.Errorf("page has %d dictionary indexes for %d values: %w", len(p.idx), n, io.ErrUnexpectedEOF)
		}
		pg.vals = grow(pg.vals, n)
		d := p.dict
		for i, x := range p.idx[:n] {
			if uint(x) >= uint(len(d)) {
				return fmt.Errorf("dictionary index %d out of range [0,%d)", x, len(d))
			}
			pg.vals[i] = d[x]
		}
	case format.ByteStreamSplit:
		// Byte k of every value is stored in the k-th of four streams.
		if len(data) < 4*n {
			return fmt.Errorf("BYTE_STREAM_SPLIT page of %d values in %d bytes: %w", n, len(data), io.ErrUnexpectedEOF)
		}
		pg.vals = grow(pg.vals, n)
		b0, b1, b2, b3 := data[:n], data[n:2*n], data[2*n:3*n], data[3*n:4*n]
		for i := range pg.vals {
			pg.vals[i] = int32(uint32(b0[i]) | uint32(b1[i])<<8 | uint32(b2[i])<<16 | uint32(b3[i])<<24)
		}
	default:
		return fmt.Errorf("INT32 page encoding %s is not supported", enc)
	}
	return err
}

// int32Bytes views v's memory as little-endian bytes (the machines Basalt
// runs on are little-endian, as Arrow buffers assume too).
func int32Bytes(v []int32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}
