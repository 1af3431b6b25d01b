// Package logistic fits logistic regression models by Newton's method:
// civibot's confidence, its ranking weights and its choice of sentences
// are such models, fitted on question sets (docs/benchmarks.md).
package logistic

import (
	"errors"
	"math"
)

// Fit fits weights w (no bias; add a constant 1 feature for one)
// so that σ(w·x) predicts y, each sample weighed by its weight, with an L2
// penalty l2 on every weight except those in free.
func Fit(xs [][]float64, ys []bool, weights []float64, l2 float64, free map[int]bool) ([]float64, error) {
	if len(xs) == 0 {
		return nil, errors.New("no samples")
	}
	d := len(xs[0])
	w := make([]float64, d)
	for iter := 0; iter < 100; iter++ {
		grad := make([]float64, d)
		hess := make([][]float64, d)
		for j := range hess {
			hess[j] = make([]float64, d)
		}
		for n, x := range xs {
			var z float64
			for j := range d {
				z += w[j] * x[j]
			}
			p := 1 / (1 + math.Exp(-z))
			y := 0.0
			if ys[n] {
				y = 1
			}
			sw := weights[n]
			for j := range d {
				grad[j] += sw * (p - y) * x[j]
				for k := range d {
					hess[j][k] += sw * p * (1 - p) * x[j] * x[k]
				}
			}
		}
		for j := range d {
			if !free[j] {
				grad[j] += l2 * w[j]
				hess[j][j] += l2
			} else {
				hess[j][j] += 1e-9
			}
		}
		step, err := Solve(hess, grad)
		if err != nil {
			return nil, err
		}
		var size float64
		for j := range d {
			w[j] -= step[j]
			size = math.Max(size, math.Abs(step[j]))
		}
		if size < 1e-9 {
			break
		}
	}
	return w, nil
}

// Solve solves a·x = b by Gaussian elimination with partial pivoting
// (a and b are changed).
func Solve(a [][]float64, b []float64) ([]float64, error) {
	n := len(b)
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		if math.Abs(a[piv][col]) < 1e-12 {
			return nil, errors.New("the evidence does not vary enough to fit")
		}
		a[col], a[piv] = a[piv], a[col]
		b[col], b[piv] = b[piv], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < n; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x, nil
}
