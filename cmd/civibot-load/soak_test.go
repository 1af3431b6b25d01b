package main

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPlotSoak draws samples with a gap (instance A down) and restart
// marks, and reads the PNG back: six panels, the lines in their colours,
// the restart marks in red.
func TestPlotSoak(t *testing.T) {
	var rows []sampleRow
	for i := range 120 {
		r := sampleRow{at: time.Duration(i) * 10 * time.Second}
		r.rss = [2]float64{50 + float64(i%7), 60}
		if i >= 60 && i < 63 {
			r.rss[0] = 0 // restarting
		}
		r.goroutines = [2]float64{40, 45}
		r.fds = [2]float64{30, 31}
		r.redisMem, r.redisKeys = 3+float64(i)/10, float64(100*i)
		r.sent, r.acked = float64(10*i), float64(10*i)
		rows = append(rows, r)
	}
	marks := []mark{{5 * time.Minute, "redis restart"}, {10 * time.Minute, "instance A restart"}}
	path := filepath.Join(t.TempDir(), "soak.png")
	if err := plotSoak(path, rows, marks, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 6*230+30 {
		t.Fatalf("size %v", b)
	}
	count := map[[3]uint32]int{}
	for y := 0; y < img.Bounds().Dy(); y++ {
		for x := 0; x < img.Bounds().Dx(); x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			count[[3]uint32{r >> 8, g >> 8, b >> 8}]++
		}
	}
	for name, c := range map[string][3]uint32{"instance A": {0, 80, 122}, "instance B": {200, 80, 0}, "Redis": {20, 140, 60}, "marks": {170, 0, 0}} {
		if count[c] < 500 {
			t.Errorf("%s: %d pixels of its colour", name, count[c])
		}
	}
}

// TestSoakReport: the summary names every figure and judges flatness on
// the samples after warm-up and before the traffic ended.
func TestSoakReport(t *testing.T) {
	s := &soak{o: soakOptions{warmup: time.Minute, duration: 5 * time.Minute, caseworkers: 2}}
	s.stats.sent.Store(100)
	s.stats.acked.Store(100)
	sm := &sampler{}
	for i := range 40 {
		r := sampleRow{at: time.Duration(i) * 10 * time.Second}
		r.rss = [2]float64{100, 100}
		if r.at > 5*time.Minute {
			r.rss[1] = 1000 // after the traffic: not judged
		}
		r.goroutines = [2]float64{50, 50}
		sm.rows = append(sm.rows, r)
	}
	rep := s.report(6*time.Minute, sm)
	for _, want := range []string{"lost:          0", "duplicated:    0", "100 sent, 100 acknowledged",
		"RSS B MiB:     warm-up to end of traffic: first quarter 100.0, last quarter 100.0 (+0.0%)"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
}

// TestSoakShort runs the soak for a few seconds on the real binary: two
// instances, one Redis, all channels, caseworkers, a Redis restart, an
// instance restart and purges; nothing acknowledged is lost or doubled,
// and the outputs are written.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds civibot and runs it for half a minute")
	}
	bin := filepath.Join(t.TempDir(), "civibot")
	if out, err := exec.Command("go", "build", "-o", bin, "../civibot").CombinedOutput(); err != nil {
		t.Fatalf("build civibot: %v\n%s", err, out)
	}
	redisBin, err := exec.LookPath("redis-server")
	if err != nil {
		redisBin = "/usr/bin/redis-server"
	}
	out := t.TempDir()
	o := soakOptions{civibot: bin, redisServer: redisBin, out: out, duration: 15 * time.Second, sample: time.Second,
		warmup: 2 * time.Second, rate: 8, restarts: 12 * time.Second, purgeEvery: 4 * time.Second,
		purgeOlderThan: time.Minute, caseworkers: 2}
	var stdout, log strings.Builder
	if err := runSoak(context.Background(), o, &stdout, &log); err != nil {
		t.Fatalf("soak: %v\n%s\n%s", err, stdout.String(), log.String())
	}
	rep := stdout.String()
	for _, want := range []string{"lost:          0", "duplicated:    0", "event:         3s redis restart", "instance A restart"} {
		if !strings.Contains(rep, want) {
			t.Errorf("summary lacks %q:\n%s\n%s", want, rep, log.String())
		}
	}
	for _, f := range []string{"samples.csv", "soak.png", "summary.txt", "instance-A.log", "redis.log"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
