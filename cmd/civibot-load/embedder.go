package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// fakeEmbedderDims is the fake embedder's vector size.
const fakeEmbedderDims = 256

// serveFakeEmbedder serves an OpenAI-compatible embeddings API on addr
// (POST /v1/embeddings) that answers every request after delay, with
// vectors hashed from the text's words, until ctx ends: a stand-in for a
// remote embedding model, to measure civibot with one
// (knowledge.embedder.kind openai, url http://ADDR/v1).
func serveFakeEmbedder(ctx context.Context, addr string, delay time.Duration, stdout io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Input json.RawMessage `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
			return
		}
		var inputs []string
		if json.Unmarshal(req.Input, &inputs) != nil {
			var one string
			if err := json.Unmarshal(req.Input, &one); err != nil {
				http.Error(w, `{"error":{"message":"input must be a string or a list of strings"}}`, http.StatusBadRequest)
				return
			}
			inputs = []string{one}
		}
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		resp := struct {
			Data []item `json:"data"`
		}{}
		for i, in := range inputs {
			resp.Data = append(resp.Data, item{Index: i, Embedding: hashVector(in)})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(resp)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Fprintf(stdout, "fake embedder (%v a request): knowledge.embedder kind openai, url http://%s/v1, model fake\n", delay, ln.Addr())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// hashVector is a bag of the text's lower-cased words, hashed into
// fakeEmbedderDims dimensions and normalised.
func hashVector(text string) []float32 {
	v := make([]float32, fakeEmbedderDims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%fakeEmbedderDims]++
	}
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		v[0] = 1
		return v
	}
	n := float32(math.Sqrt(sum))
	for i := range v {
		v[i] /= n
	}
	return v
}
