package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// series is one line of a panel.
type series struct {
	name string
	c    color.RGBA
	get  func(sampleRow) float64
}

var (
	colA     = color.RGBA{0, 80, 122, 255}
	colB     = color.RGBA{200, 80, 0, 255}
	colC     = color.RGBA{20, 140, 60, 255}
	colGrid  = color.RGBA{225, 225, 225, 255}
	colAxis  = color.RGBA{90, 90, 90, 255}
	colMark  = color.RGBA{170, 0, 0, 255}
	colWarm  = color.RGBA{245, 245, 245, 255}
	colBlack = color.RGBA{0, 0, 0, 255}
)

// plotSoak draws the soak's curves, one panel each: RSS and goroutines of
// both instances, open fds, Redis memory and keys, and messages; restarts
// are marked with vertical lines, the warm-up is shaded.
func plotSoak(path string, rows []sampleRow, marks []mark, warmup time.Duration) error {
	panels := []struct {
		title string
		lines []series
	}{
		{"RSS (MiB)", []series{{"instance A", colA, func(r sampleRow) float64 { return r.rss[0] }}, {"instance B", colB, func(r sampleRow) float64 { return r.rss[1] }}}},
		{"goroutines", []series{{"instance A", colA, func(r sampleRow) float64 { return r.goroutines[0] }}, {"instance B", colB, func(r sampleRow) float64 { return r.goroutines[1] }}}},
		{"open file descriptors", []series{{"instance A", colA, func(r sampleRow) float64 { return r.fds[0] }}, {"instance B", colB, func(r sampleRow) float64 { return r.fds[1] }}}},
		{"Redis used memory (MiB)", []series{{"used_memory", colC, func(r sampleRow) float64 { return r.redisMem }}}},
		{"Redis keys", []series{{"DBSIZE", colC, func(r sampleRow) float64 { return r.redisKeys }}}},
		{"citizen messages (cumulative)", []series{{"acknowledged", colC, func(r sampleRow) float64 { return r.acked }},
			{"lost", colMark, func(r sampleRow) float64 { return r.lost }}, {"duplicated", colB, func(r sampleRow) float64 { return r.duplicated }}}},
	}
	const w, ph = 1200, 230
	img := image.NewRGBA(image.Rect(0, 0, w, ph*len(panels)+30))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	var end time.Duration
	if len(rows) > 0 {
		end = rows[len(rows)-1].at
	}
	for i, p := range panels {
		area := image.Rect(70, i*ph+28, w-20, (i+1)*ph-10)
		drawPanel(img, area, p.title, p.lines, rows, marks, warmup, end)
	}
	label(img, 70, ph*len(panels)+20, fmt.Sprintf("minutes since start (%d samples); red lines: Redis and instance A restarts; grey: warm-up", len(rows)), colAxis)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func drawPanel(img *image.RGBA, a image.Rectangle, title string, lines []series, rows []sampleRow, marks []mark, warmup, end time.Duration) {
	hi := 0.0
	for _, s := range lines {
		for _, r := range rows {
			hi = math.Max(hi, s.get(r))
		}
	}
	hi = niceCeil(hi)
	xOf := func(d time.Duration) int {
		if end <= 0 {
			return a.Min.X
		}
		return a.Min.X + int(float64(a.Dx())*float64(d)/float64(end))
	}
	yOf := func(v float64) int { return a.Max.Y - int(float64(a.Dy())*v/hi) }
	// Warm-up, grid, axes.
	fill(img, image.Rect(a.Min.X, a.Min.Y, min(xOf(warmup), a.Max.X), a.Max.Y), colWarm)
	for k := 0; k <= 4; k++ {
		v := hi * float64(k) / 4
		y := yOf(v)
		hline(img, a.Min.X, a.Max.X, y, colGrid)
		label(img, 4, y+4, trimFloat(v), colAxis)
	}
	if end > 0 {
		step := niceStep(end.Minutes() / 10)
		for m := 0.0; m <= end.Minutes(); m += step {
			x := xOf(time.Duration(m * float64(time.Minute)))
			vline(img, x, a.Min.Y, a.Max.Y, colGrid)
			label(img, x-6, a.Max.Y+12, trimFloat(m), colAxis)
		}
	}
	hline(img, a.Min.X, a.Max.X, a.Max.Y, colAxis)
	vline(img, a.Min.X, a.Min.Y, a.Max.Y, colAxis)
	for _, m := range marks {
		vline(img, xOf(m.at), a.Min.Y, a.Max.Y, colMark)
	}
	// Lines (a value of 0 is "down": the line breaks).
	for _, s := range lines {
		px, py, have := 0, 0, false
		for _, r := range rows {
			v := s.get(r)
			if v <= 0 && s.name != "lost" && s.name != "duplicated" {
				have = false
				continue
			}
			x, y := xOf(r.at), yOf(v)
			if have {
				line(img, px, py, x, y, s.c)
			}
			px, py, have = x, y, true
		}
	}
	label(img, a.Min.X+4, a.Min.Y-6, title, colBlack)
	x := a.Min.X + 260
	for _, s := range lines {
		fill(img, image.Rect(x, a.Min.Y-13, x+14, a.Min.Y-5), s.c)
		label(img, x+18, a.Min.Y-5, s.name, colBlack)
		x += 30 + 7*len(s.name)
	}
}

func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v*1.05 {
			return m * p
		}
	}
	return 10 * p
}

func niceStep(v float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 20, 30, 60} {
		if s >= v {
			return s
		}
	}
	return 120
}

func trimFloat(v float64) string {
	if v >= 100 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func label(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func hline(img *image.RGBA, x0, x1, y int, c color.RGBA) {
	for x := x0; x <= x1; x++ {
		img.SetRGBA(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.RGBA) {
	for y := y0; y <= y1; y++ {
		img.SetRGBA(x, y, c)
	}
}

// line draws a 2-pixel line (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := 1, 1
	if x0 > x1 {
		sx = -1
	}
	if y0 > y1 {
		sy = -1
	}
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		img.SetRGBA(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
