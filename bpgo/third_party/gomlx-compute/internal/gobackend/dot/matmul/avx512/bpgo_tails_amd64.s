// Copyright 2023-2026 The GoMLX Authors. SPDX-License-Identifier: Apache-2.0

//go:build amd64 && goexperiment.simd

#include "textflag.h"

// bpgo patch (see bpgo_tails.go): 8-row tiles for products with few columns.
// One vector of B's row k is multiplied by the broadcast A[i,k] of eight rows
// into eight accumulators: eight independent FMA chains, where the 4-row tiles
// have four and wait on the FMA latency. Each output is the in-order sum over k.
//
// func(lhs unsafe.Pointer, lhsRowBytes int, rhs unsafe.Pointer, k, rhsRowBytes int,
//      out unsafe.Pointer, outRowBytes int)

TEXT ·bpgoTile8x8Float64Asm(SB), NOSPLIT, $0-56
	MOVQ lhs+0(FP), R8
	MOVQ lhsRowBytes+8(FP), CX
	LEAQ (R8)(CX*1), R9
	LEAQ (R9)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R13
	LEAQ (R13)(CX*1), R14
	LEAQ (R14)(CX*1), R15
	LEAQ (R15)(CX*1), DI
	MOVQ rhs+16(FP), R12
	MOVQ k+24(FP), BX
	MOVQ rhsRowBytes+32(FP), DX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5
	VXORPD Z6, Z6, Z6
	VXORPD Z7, Z7, Z7
	TESTQ BX, BX
	JLE bpgoTile8x8Float64Asm_store
	XORQ SI, SI
bpgoTile8x8Float64Asm_loop:
	VMOVUPD (R12), Z16
	VBROADCASTSD (R8)(SI*1), Z17
	VBROADCASTSD (R9)(SI*1), Z18
	VBROADCASTSD (R10)(SI*1), Z19
	VBROADCASTSD (R11)(SI*1), Z20
	VBROADCASTSD (R13)(SI*1), Z21
	VBROADCASTSD (R14)(SI*1), Z22
	VBROADCASTSD (R15)(SI*1), Z23
	VBROADCASTSD (DI)(SI*1), Z24
	VFMADD231PD Z16, Z17, Z0
	VFMADD231PD Z16, Z18, Z1
	VFMADD231PD Z16, Z19, Z2
	VFMADD231PD Z16, Z20, Z3
	VFMADD231PD Z16, Z21, Z4
	VFMADD231PD Z16, Z22, Z5
	VFMADD231PD Z16, Z23, Z6
	VFMADD231PD Z16, Z24, Z7
	ADDQ $8, SI
	ADDQ DX, R12
	DECQ BX
	JNZ bpgoTile8x8Float64Asm_loop
bpgoTile8x8Float64Asm_store:
	MOVQ out+40(FP), R8
	MOVQ outRowBytes+48(FP), CX
	VMOVUPD Z0, (R8)
	ADDQ CX, R8
	VMOVUPD Z1, (R8)
	ADDQ CX, R8
	VMOVUPD Z2, (R8)
	ADDQ CX, R8
	VMOVUPD Z3, (R8)
	ADDQ CX, R8
	VMOVUPD Z4, (R8)
	ADDQ CX, R8
	VMOVUPD Z5, (R8)
	ADDQ CX, R8
	VMOVUPD Z6, (R8)
	ADDQ CX, R8
	VMOVUPD Z7, (R8)
	VZEROUPPER
	RET

TEXT ·bpgoTile8x16Float32Asm(SB), NOSPLIT, $0-56
	MOVQ lhs+0(FP), R8
	MOVQ lhsRowBytes+8(FP), CX
	LEAQ (R8)(CX*1), R9
	LEAQ (R9)(CX*1), R10
	LEAQ (R10)(CX*1), R11
	LEAQ (R11)(CX*1), R13
	LEAQ (R13)(CX*1), R14
	LEAQ (R14)(CX*1), R15
	LEAQ (R15)(CX*1), DI
	MOVQ rhs+16(FP), R12
	MOVQ k+24(FP), BX
	MOVQ rhsRowBytes+32(FP), DX
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3
	VXORPD Z4, Z4, Z4
	VXORPD Z5, Z5, Z5
	VXORPD Z6, Z6, Z6
	VXORPD Z7, Z7, Z7
	TESTQ BX, BX
	JLE bpgoTile8x16Float32Asm_store
	XORQ SI, SI
bpgoTile8x16Float32Asm_loop:
	VMOVUPS (R12), Z16
	VBROADCASTSS (R8)(SI*1), Z17
	VBROADCASTSS (R9)(SI*1), Z18
	VBROADCASTSS (R10)(SI*1), Z19
	VBROADCASTSS (R11)(SI*1), Z20
	VBROADCASTSS (R13)(SI*1), Z21
	VBROADCASTSS (R14)(SI*1), Z22
	VBROADCASTSS (R15)(SI*1), Z23
	VBROADCASTSS (DI)(SI*1), Z24
	VFMADD231PS Z16, Z17, Z0
	VFMADD231PS Z16, Z18, Z1
	VFMADD231PS Z16, Z19, Z2
	VFMADD231PS Z16, Z20, Z3
	VFMADD231PS Z16, Z21, Z4
	VFMADD231PS Z16, Z22, Z5
	VFMADD231PS Z16, Z23, Z6
	VFMADD231PS Z16, Z24, Z7
	ADDQ $4, SI
	ADDQ DX, R12
	DECQ BX
	JNZ bpgoTile8x16Float32Asm_loop
bpgoTile8x16Float32Asm_store:
	MOVQ out+40(FP), R8
	MOVQ outRowBytes+48(FP), CX
	VMOVUPS Z0, (R8)
	ADDQ CX, R8
	VMOVUPS Z1, (R8)
	ADDQ CX, R8
	VMOVUPS Z2, (R8)
	ADDQ CX, R8
	VMOVUPS Z3, (R8)
	ADDQ CX, R8
	VMOVUPS Z4, (R8)
	ADDQ CX, R8
	VMOVUPS Z5, (R8)
	ADDQ CX, R8
	VMOVUPS Z6, (R8)
	ADDQ CX, R8
	VMOVUPS Z7, (R8)
	VZEROUPPER
	RET
