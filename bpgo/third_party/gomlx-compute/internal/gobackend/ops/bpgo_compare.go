//go:build amd64 && goexperiment.simd

package ops

// bpgo patch (see bpgo/third_party/README.md in bpgo's repository): the four ordered
// comparisons of float32/float64 tensors and the conversion of their bool results back to floats
// (a spiking neuron's threshold crossing and its surrogate gradient's window, every step, forward
// and backward) ran as scalar loops: a compare, a set and a store per element, and for the
// conversion a branch per element that spikes make unpredictable. Here they are AVX-512 loops: 16
// (float32) or 8 (float64) comparisons at once, their mask spread to bytes through a table; the
// conversion widens 16 bytes to 16 lanes. Same results, NaN included (ordered comparisons are
// false). Other dtypes, broadcasts other than a scalar operand, and CPUs without AVX-512 fall
// back to upstream's executors.

import (
	"encoding/binary"
	"simd/archsimd"
	"unsafe"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/internal/gobackend"
)

// bpgoBitBytes[m] holds, in byte i, bit i of m: eight comparison results as eight bools.
var bpgoBitBytes = func() (t [256]uint64) {
	for m := range t {
		for i := range 8 {
			t[m] |= uint64(m>>i&1) << (8 * i)
		}
	}
	return t
}()

func init() {
	// a > b is b < a and a >= b is b <= a: two kernels cover the four comparisons.
	gobackend.SetNodeExecutor(compute.OpTypeLessThan, PrioritySIMD, bpgoCompareExec(false, false))
	gobackend.SetNodeExecutor(compute.OpTypeLessOrEqual, PrioritySIMD, bpgoCompareExec(true, false))
	gobackend.SetNodeExecutor(compute.OpTypeGreaterThan, PrioritySIMD, bpgoCompareExec(false, true))
	gobackend.SetNodeExecutor(compute.OpTypeGreaterOrEqual, PrioritySIMD, bpgoCompareExec(true, true))
	gobackend.SetNodeExecutor(compute.OpTypeConvertDType, PrioritySIMD, bpgoBoolToFloatExec)
}

func bpgoCompareExec(orEqual, swap bool) gobackend.NodeExecutor {
	return func(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
		a, b := inputs[0], inputs[1]
		if swap {
			a, b = b, a
		}
		dt := a.RawShape.DType
		n := node.Shape.Size()
		na, nb := a.RawShape.Size(), b.RawShape.Size()
		if !bpgoPatched || !gobackend.IsAVX512Allowed || (dt != dtypes.Float32 && dt != dtypes.Float64) ||
			!(na == n || na == 1) || !(nb == n || nb == 1) {
			return nil, gobackend.ErrFallback
		}
		output, err := backend.GetBuffer(node.Shape)
		if err != nil {
			return nil, err
		}
		if backend.NoOps {
			return output, nil
		}
		out := output.Flat.([]bool)
		if dt == dtypes.Float32 {
			bpgoLess32(a.Flat.([]float32), b.Flat.([]float32), out, orEqual)
		} else {
			bpgoLess64(a.Flat.([]float64), b.Flat.([]float64), out, orEqual)
		}
		return output, nil
	}
}

// bpgoLess32 sets out[i] = a[i] < b[i] (a[i] <= b[i] with orEqual); a or b may hold one value,
// compared with every element of the other.
func bpgoLess32(a, b []float32, out []bool, orEqual bool) {
	n := len(out)
	// A one-value operand is read from a vector of copies at offset 0 (step 0).
	var ca, cb [16]float32
	sa, sb := 1, 1
	if len(a) == 1 && n > 1 {
		sa = 0
		for i := range ca {
			ca[i] = a[0]
		}
		a = ca[:]
	}
	if len(b) == 1 && n > 1 {
		sb = 0
		for i := range cb {
			cb[i] = b[0]
		}
		b = cb[:]
	}
	ob := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), n)
	i := 0
	for ; i+16 <= n; i += 16 {
		x := archsimd.LoadFloat32x16(a[i*sa : i*sa+16])
		y := archsimd.LoadFloat32x16(b[i*sb : i*sb+16])
		var bits uint16
		if orEqual {
			bits = x.LessEqual(y).ToBits()
		} else {
			bits = x.Less(y).ToBits()
		}
		binary.LittleEndian.PutUint64(ob[i:], bpgoBitBytes[bits&0xff])
		binary.LittleEndian.PutUint64(ob[i+8:], bpgoBitBytes[bits>>8])
	}
	for ; i < n; i++ {
		x, y := a[i*sa], b[i*sb]
		out[i] = x < y || orEqual && x == y
	}
}

// bpgoLess64 is bpgoLess32 for float64.
func bpgoLess64(a, b []float64, out []bool, orEqual bool) {
	n := len(out)
	var ca, cb [8]float64
	sa, sb := 1, 1
	if len(a) == 1 && n > 1 {
		sa = 0
		for i := range ca {
			ca[i] = a[0]
		}
		a = ca[:]
	}
	if len(b) == 1 && n > 1 {
		sb = 0
		for i := range cb {
			cb[i] = b[0]
		}
		b = cb[:]
	}
	ob := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), n)
	i := 0
	for ; i+8 <= n; i += 8 {
		x := archsimd.LoadFloat64x8(a[i*sa : i*sa+8])
		y := archsimd.LoadFloat64x8(b[i*sb : i*sb+8])
		var bits uint8
		if orEqual {
			bits = x.LessEqual(y).ToBits()
		} else {
			bits = x.Less(y).ToBits()
		}
		binary.LittleEndian.PutUint64(ob[i:], bpgoBitBytes[bits])
	}
	for ; i < n; i++ {
		x, y := a[i*sa], b[i*sb]
		out[i] = x < y || orEqual && x == y
	}
}

// bpgoBoolToFloatExec converts bool tensors to float32 or float64 (true: 1, false: 0).
func bpgoBoolToFloatExec(backend *gobackend.Backend, node *gobackend.Node, inputs []*gobackend.Buffer, _ []bool) (*gobackend.Buffer, error) {
	operand := inputs[0]
	to := node.Shape.DType
	if !bpgoPatched || !gobackend.IsAVX512Allowed || operand.RawShape.DType != dtypes.Bool ||
		(to != dtypes.Float32 && to != dtypes.Float64) {
		return nil, gobackend.ErrFallback
	}
	output, err := backend.GetBuffer(node.Shape)
	if err != nil {
		return nil, err
	}
	if backend.NoOps {
		return output, nil
	}
	in := operand.Flat.([]bool)
	ib := unsafe.Slice((*uint8)(unsafe.Pointer(unsafe.SliceData(in))), len(in))
	if to == dtypes.Float32 {
		bpgoBytesToFloat32(ib, output.Flat.([]float32))
	} else {
		bpgoBytesToFloat64(ib, output.Flat.([]float64))
	}
	return output, nil
}

// bpgoBytesToFloat32 sets out[i] = float32(in[i]) for bytes that are 0 or 1 (Go's bools).
func bpgoBytesToFloat32(in []uint8, out []float32) {
	i := 0
	for ; i+16 <= len(out); i += 16 {
		archsimd.LoadUint8x16(in[i : i+16]).ExtendToUint32().AsInt32x16().ConvertToFloat32().Store(out[i : i+16])
	}
	for ; i < len(out); i++ {
		out[i] = float32(in[i])
	}
}

// bpgoBytesToFloat64 is bpgoBytesToFloat32 for float64.
func bpgoBytesToFloat64(in []uint8, out []float64) {
	for i := range out {
		out[i] = float64(in[i])
	}
}
