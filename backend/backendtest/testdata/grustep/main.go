// Command grustep is a program outside the Myelin module that runs one
// step of a GRU cell (PyTorch's torch.nn.GRUCell: gates r, z, n) through
// the public Backend API alone — views, region copies, broadcasting math —
// with no selection-matrix products, and compares it with a float64
// computation on the host. It prints "ok" and the largest difference, or
// exits 1.
//
// One step for x [N, T, F] at time t, hidden h [N, H]:
//
//	gx = x[:, t]·W_ihᵀ + b_ih        gh = h·W_hhᵀ + b_hh      (both [N, 3H])
//	r  = σ(gx_r + gh_r)             z = σ(gx_z + gh_z)
//	n  = tanh(gx_n + r∘gh_n)        h′ = n + z∘(h − n)
package main

import (
	"fmt"
	"math"
	"math/rand"
	"os"

	"github.com/myelin-go/myelin/backend"
	_ "github.com/myelin-go/myelin/backend/cpu"
)

const (
	n, steps, f, hid = 5, 7, 6, 4
	t                = 3 // the time step to run
)

func main() {
	b, err := backend.Open("cpu")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer b.Close()
	rng := rand.New(rand.NewSource(1))
	rnd := func(k int) []float32 {
		v := make([]float32, k)
		for i := range v {
			v[i] = float32(rng.Float64()*2 - 1)
		}
		return v
	}
	xs, hs := rnd(n*steps*f), rnd(n*hid)
	wih, whh, bih, bhh := rnd(3*hid*f), rnd(3*hid*hid), rnd(3*hid), rnd(3*hid)
	up := func(v []float32, shape ...int) backend.Tensor {
		d := b.Alloc(shape...)
		b.Upload(d, v)
		return d
	}
	x, h := up(xs, n, steps, f), up(hs, n, hid)
	wIH, wHH, bIH, bHH := up(wih, 3*hid, f), up(whh, 3*hid, hid), up(bih, 3*hid), up(bhh, 3*hid)

	// x[:, t] as one strided region copy: N rows of F, T·F apart.
	xt := b.Alloc(n, f)
	backend.CopyRegion(b, xt, backend.Region{Strides: [4]int{0, 0, f, 1}},
		x, backend.Region{Offset: t * f, Strides: [4]int{0, 0, steps * f, 1}}, [4]int{1, 1, n, f}, false)

	// Both gate products, then each [N, 3H] split into gate-major [3, N, H]
	// by one region copy, so that each gate is a leading-axis view.
	gx, gh := b.Alloc(n, 3*hid), b.Alloc(n, 3*hid)
	b.MatMul(false, true, 1, xt, wIH, 0, gx)
	b.AddBias(gx, bIH)
	b.MatMul(false, true, 1, h, wHH, 0, gh)
	b.AddBias(gh, bHH)
	split := func(g backend.Tensor) backend.Tensor {
		s := b.Alloc(3, n, hid)
		backend.CopyRegion(b, s, backend.Region{Strides: [4]int{0, n * hid, hid, 1}},
			g, backend.Region{Strides: [4]int{0, hid, 3 * hid, 1}}, [4]int{1, 3, n, hid}, false)
		return s
	}
	sx, sh := split(gx), split(gh)
	gate := func(s backend.Tensor, i int) backend.Tensor { return backend.Slice(b, s, i, i+1) }

	sigmoid, tanh := backend.Activation{Kind: backend.Sigmoid}, backend.Activation{Kind: backend.Tanh}
	r, z, nn, hn := b.Alloc(1, n, hid), b.Alloc(1, n, hid), b.Alloc(1, n, hid), b.Alloc(1, n, hid)
	backend.Binary(b, backend.OpAdd, gate(sx, 0), gate(sh, 0), r)
	b.Activate(sigmoid, r, r)
	backend.Binary(b, backend.OpAdd, gate(sx, 1), gate(sh, 1), z)
	b.Activate(sigmoid, z, z)
	backend.Binary(b, backend.OpMul, r, gate(sh, 2), nn)
	backend.Binary(b, backend.OpAdd, gate(sx, 2), nn, nn)
	b.Activate(tanh, nn, nn)
	hv := backend.Reshape(b, h, 1, n, hid)
	backend.Binary(b, backend.OpSub, hv, nn, hn)
	backend.Binary(b, backend.OpMul, z, hn, hn)
	backend.Binary(b, backend.OpAdd, nn, hn, hn)
	got := make([]float32, n*hid)
	b.Download(got, hn)
	if err := b.Sync(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	// The same step in float64 on the host.
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	worst := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < hid; j++ {
			var g [3][2]float64 // gate, (input, hidden)
			for k := 0; k < 3; k++ {
				row := k*hid + j
				g[k][0], g[k][1] = float64(bih[row]), float64(bhh[row])
				for c := 0; c < f; c++ {
					g[k][0] += float64(xs[(i*steps+t)*f+c]) * float64(wih[row*f+c])
				}
				for c := 0; c < hid; c++ {
					g[k][1] += float64(hs[i*hid+c]) * float64(whh[row*hid+c])
				}
			}
			rr, zz := sig(g[0][0]+g[0][1]), sig(g[1][0]+g[1][1])
			nv := math.Tanh(g[2][0] + rr*g[2][1])
			want := nv + zz*(float64(hs[i*hid+j])-nv)
			worst = max(worst, math.Abs(float64(got[i*hid+j])-want))
		}
	}
	if worst > 1e-5 {
		fmt.Printf("FAIL: largest difference from the float64 GRU step %.3g (want ≤ 1e-5)\n", worst)
		os.Exit(1)
	}
	fmt.Printf("ok: GRU step [%d×%d] through the Backend API matches float64 to %.1g\n", n, hid, worst)
}
