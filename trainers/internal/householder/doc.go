// Package householder computes the R factor of a tall matrix's QR decomposition by blocked
// Householder reflections, as LAPACK's Dgeqrf does, with the trailing-matrix updates (almost all
// of the work) in vector kernels.
//
// Why: trainers.Ridge streams a run's features into the R factor of their QR decomposition
// (never forming XᵀX). With gonum's Dgeqrf that QR took two thirds of a 6000-step reservoir fit:
// gonum's matrix products run at about a fifth of this machine's matrix-product peak. The panel
// factorisations and the block reflectors' T factors stay gonum's (Dgeqr2, Dlarft); the two
// products of each block update, W = Vᵀ·C and C −= V·(TᵀW), run here (AVX-512, else gonum's BLAS).
package householder
