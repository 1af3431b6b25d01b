package knowledge

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// vectorIndex holds the chunk vectors in one contiguous array and finds the
// cosine similarity of a question to every chunk by a linear scan: all
// vectors are unit length, so the dot product is the cosine.
type vectorIndex struct {
	dims int
	n    int
	data []float32 // n*dims, row by row

	// cols is data column by column (dims*n), made on the first sparse
	// question: the local embedder's question vectors have few non-zero
	// dimensions, and summing only those columns is several times less work
	// than a dot product with every row.
	colsOnce sync.Once
	cols     []float32
}

// newVectorIndex copies vecs (one per chunk) into a vector index,
// normalising any vector that is not unit length.
func newVectorIndex(vecs [][]float32) (*vectorIndex, error) {
	vi := &vectorIndex{n: len(vecs)}
	if len(vecs) == 0 {
		return vi, nil
	}
	vi.dims = len(vecs[0])
	if vi.dims == 0 {
		return nil, fmt.Errorf("knowledge: embedder returned an empty vector")
	}
	vi.data = make([]float32, 0, len(vecs)*vi.dims)
	for i, v := range vecs {
		if len(v) != vi.dims {
			return nil, fmt.Errorf("knowledge: embedder returned vectors of %d and %d dimensions (chunk %d)", vi.dims, len(v), i)
		}
		vi.data = append(vi.data, normalize(v)...)
	}
	return vi, nil
}

// normalize returns v scaled to unit length (v itself when it already is;
// a zero vector stays zero).
func normalize(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.Abs(s-1) < 1e-4 {
		return v
	}
	inv := 1 / math.Sqrt(s)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out
}

// vector returns the vector of chunk i (shared; do not modify).
func (vi *vectorIndex) vector(i int) []float32 {
	return vi.data[i*vi.dims : (i+1)*vi.dims]
}

// parallelScanMin is the work (n*dims) from which a scan uses all CPUs.
const parallelScanMin = 1 << 20

// scores writes the cosine of q with every chunk into out (len n). q must
// be unit length and of the index's dimensions.
func (vi *vectorIndex) scores(q []float32, out []float32) {
	var nz []int
	for j, x := range q {
		if x != 0 {
			nz = append(nz, j)
		}
	}
	scan, work := vi.scan, vi.n*vi.dims
	if len(nz)*sparseShare < vi.dims {
		vi.colsOnce.Do(vi.transpose)
		scan = func(q, out []float32, s, e int) { vi.scanCols(q, nz, out, s, e) }
		work = vi.n * len(nz)
	}
	workers := runtime.GOMAXPROCS(0)
	if work < parallelScanMin || workers < 2 {
		scan(q, out, 0, vi.n)
		return
	}
	var wg sync.WaitGroup
	per := (vi.n + workers - 1) / workers
	for s := 0; s < vi.n; s += per {
		e := min(s+per, vi.n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			scan(q, out, s, e)
		}()
	}
	wg.Wait()
}

// sparseShare: a question vector with fewer than dims/sparseShare non-zero
// dimensions is scanned by columns.
const sparseShare = 3

func (vi *vectorIndex) transpose() {
	vi.cols = make([]float32, len(vi.data))
	for i := 0; i < vi.n; i++ {
		for j := 0; j < vi.dims; j++ {
			vi.cols[j*vi.n+i] = vi.data[i*vi.dims+j]
		}
	}
}

// scanCols sums, for chunks s to e, the question's non-zero dimensions nz
// times the chunks' values in those dimensions.
func (vi *vectorIndex) scanCols(q []float32, nz []int, out []float32, s, e int) {
	dst := out[s:e]
	clear(dst)
	for _, j := range nz {
		qj := q[j]
		col := vi.cols[j*vi.n+s : j*vi.n+e]
		col = col[:len(dst)]
		for k, x := range col {
			dst[k] += qj * x
		}
	}
}

func (vi *vectorIndex) scan(q []float32, out []float32, s, e int) {
	d := vi.dims
	for i := s; i < e; i++ {
		out[i] = dot(q, vi.data[i*d:(i+1)*d])
	}
}

// dot is the dot product of two vectors of equal length.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i]*b[i] + a[i+4]*b[i+4]
		s1 += a[i+1]*b[i+1] + a[i+5]*b[i+5]
		s2 += a[i+2]*b[i+2] + a[i+6]*b[i+6]
		s3 += a[i+3]*b[i+3] + a[i+7]*b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
