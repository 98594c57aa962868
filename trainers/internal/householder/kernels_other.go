//go:build !(amd64 && goexperiment.simd)

package householder

func vtc(w, v, c []float64, m, k, n, ldc int)   { vtcBLAS(w, v, c, m, k, n, ldc) }
func addVW(c, v, w []float64, m, k, n, ldc int) { addVWBLAS(c, v, w, m, k, n, ldc) }
