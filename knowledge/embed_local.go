package knowledge

import (
	"context"
	"fmt"
	"math"
)

// LocalEmbedder is the default embedder: no network, no model. It hashes a
// text's features — German and English stems of its words and character
// 3- to 5-grams of the folded words — into a fixed number of dimensions
// with signed hashing, weighs each feature by the logarithm of its count and
// normalises the vector to unit length. Texts that share words, word parts
// or spellings get similar vectors; it knows nothing of meaning beyond that.
// Deterministic and safe for concurrent use.
type LocalEmbedder struct {
	dims int
}

// DefaultLocalDims is the vector size of the local embedder.
const DefaultLocalDims = 256

// Features of the local embedder.
const (
	localWordWeight = 1.0
	localGramWeight = 0.5
	localMinGram    = 3
	localMaxGram    = 5
	localMaxWords   = 20000 // per text; longer texts are cut
)

// NewLocalEmbedder returns the local embedder with dims dimensions
// (0: DefaultLocalDims).
func NewLocalEmbedder(dims int) *LocalEmbedder {
	if dims <= 0 {
		dims = DefaultLocalDims
	}
	return &LocalEmbedder{dims: dims}
}

// Name identifies the embedder and its size, e.g. "local-v1-256".
func (e *LocalEmbedder) Name() string { return fmt.Sprintf("local-v1-%d", e.dims) }

// Embed returns the unit-length vector of text. A text without words gets a
// fixed vector of its own.
func (e *LocalEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.embed(text), nil
}

// feature is one hashed feature: kind ('w' word, 'g' n-gram) and value.
type feature struct {
	kind  byte
	value string
}

func (e *LocalEmbedder) embed(text string) []float32 {
	counts := make(map[feature]float64)
	n := 0
	for _, w := range splitWords(text) {
		if w.joined || isStopAny(w.folded) {
			continue
		}
		if n++; n > localMaxWords {
			break
		}
		de, en := stem(w.lower, "de"), stem(w.lower, "en")
		counts[feature{'w', de}] += localWordWeight
		if en != de {
			counts[feature{'w', en}] += localWordWeight
		}
		g := "<" + w.folded + ">"
		for size := localMinGram; size <= localMaxGram; size++ {
			for i := 0; i+size <= len(g); i++ {
				counts[feature{'g', g[i : i+size]}] += localGramWeight
			}
		}
	}
	acc := make([]float64, e.dims)
	for f, c := range counts {
		h := fnv64a(f.kind, f.value)
		v := math.Log1p(c)
		if h>>63 == 1 {
			v = -v
		}
		acc[h%uint64(e.dims)] += v
	}
	var norm float64
	for _, v := range acc {
		norm += v * v
	}
	out := make([]float32, e.dims)
	if norm == 0 {
		// No words: a fixed unit vector of its own.
		h := fnv64a('e', "")
		out[h%uint64(e.dims)] = 1
		return out
	}
	inv := 1 / math.Sqrt(norm)
	for i, v := range acc {
		out[i] = float32(v * inv)
	}
	return out
}

// fnv64a is FNV-1a over kind, a separator and value, finished with a
// multiply-xorshift so that every bit (the sign bit too) depends on every
// byte.
func fnv64a(kind byte, value string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	h ^= uint64(kind)
	h *= prime
	h ^= 0x1f
	h *= prime
	for i := 0; i < len(value); i++ {
		h ^= uint64(value[i])
		h *= prime
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
