package bpgo

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/gomlx/gomlx/core/tensors"
)

// checkpointMagic starts every checkpoint file; the number is the format version.
const checkpointMagic = "BPGO-CHECKPOINT 1\n"

type ckptVar struct {
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Trainable bool   `json:"trainable,omitempty"`
	Shape     []int  `json:"shape"`
}

type ckptOptimizer struct {
	Type     string         `json:"type"`
	Params   []string       `json:"params"`
	Slots    []ckptVar      `json:"slots"`
	Counters map[string]int `json:"counters,omitempty"`
}

type ckptHeader struct {
	DType     string         `json:"dtype"`
	Vars      []ckptVar      `json:"vars"`
	Optimizer *ckptOptimizer `json:"optimizer,omitempty"`
	// Payload is the SHA-256 of the float64 data that follows the header.
	Payload string `json:"payload_sha256"`
}

// Save writes the model's variables (parameters and state) and, if opt is not nil, the
// optimizer's slots and counters to path, so that training can resume after Load. The file is
// written to a temporary name and renamed, so an existing checkpoint is never left half
// written.
func Save(path string, model any, opt Optimizer) error {
	tree, err := Walk(model)
	if err != nil {
		return fmt.Errorf("bpgo.Save: %w", err)
	}
	h := ckptHeader{DType: FloatDType().String()}
	var data []float64
	add := func(v *Variable, list *[]ckptVar) error {
		if !v.has() {
			return fmt.Errorf("variable %q has no value", v.name)
		}
		if !v.Shape().DType.IsFloat() {
			return fmt.Errorf("variable %q has dtype %s; checkpoints hold float variables", v.name, v.Shape().DType)
		}
		*list = append(*list, ckptVar{Name: v.name, Kind: v.Kind.String(), Trainable: v.Trainable, Shape: v.Shape().Dimensions})
		data = append(data, ToFloat64s(v.get())...)
		return nil
	}
	for _, v := range tree.Vars {
		if v.random {
			continue // random generator states are not saved (see NewRandomState)
		}
		if err := add(v, &h.Vars); err != nil {
			return fmt.Errorf("bpgo.Save: %w", err)
		}
	}
	if opt != nil {
		o := &ckptOptimizer{Type: reflect.TypeOf(opt).String()}
		for _, p := range opt.Params() {
			o.Params = append(o.Params, p.name)
		}
		for i, s := range opt.Slots() {
			if err := add(s, &o.Slots); err != nil {
				return fmt.Errorf("bpgo.Save: optimizer slot %d: %w", i, err)
			}
			o.Slots[len(o.Slots)-1].Name = fmt.Sprintf("slot%d", i)
		}
		if c, ok := opt.(Counters); ok {
			o.Counters = c.Counters()
		}
		h.Optimizer = o
	}
	var payload bytes.Buffer
	if err := binary.Write(&payload, binary.LittleEndian, data); err != nil {
		return fmt.Errorf("bpgo.Save: %w", err)
	}
	sum := sha256.Sum256(payload.Bytes())
	h.Payload = hex.EncodeToString(sum[:])
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("bpgo.Save: %w", err)
	}
	return writeAtomic(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, checkpointMagic); err != nil {
			return err
		}
		if _, err := w.Write(append(head, '\n')); err != nil {
			return err
		}
		_, err := w.Write(payload.Bytes())
		return err
	})
}

// writeAtomic writes through a temporary file in the same directory and renames it into place.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("bpgo.Save: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = write(bw); err != nil {
		return fmt.Errorf("bpgo.Save: writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("bpgo.Save: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("bpgo.Save: writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("bpgo.Save: writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("bpgo.Save: %w", err)
	}
	return nil
}

// Load restores what Save wrote into a model built the same way (same structure, same
// shapes) and, if opt is not nil, into the optimizer (a fresh optimizer is first registered
// with the model's trainable parameters). Nothing is changed unless the whole file checks out.
func Load(path string, model any, opt Optimizer) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("bpgo.Load: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(checkpointMagic)) {
		return fmt.Errorf("bpgo.Load: %s is not a bpgo checkpoint (missing %q header)", path, checkpointMagic[:len(checkpointMagic)-1])
	}
	raw = raw[len(checkpointMagic):]
	nl := bytes.IndexByte(raw, '\n')
	if nl < 0 {
		return fmt.Errorf("bpgo.Load: %s: truncated header", path)
	}
	var h ckptHeader
	if err := json.Unmarshal(raw[:nl], &h); err != nil {
		return fmt.Errorf("bpgo.Load: %s: corrupt header: %w", path, err)
	}
	payload := raw[nl+1:]
	sum := sha256.Sum256(payload)
	if hex.EncodeToString(sum[:]) != h.Payload {
		return fmt.Errorf("bpgo.Load: %s: data checksum mismatch (file truncated or corrupt)", path)
	}
	if len(payload)%8 != 0 {
		return fmt.Errorf("bpgo.Load: %s: data length %d is not a whole number of float64s", path, len(payload))
	}
	data := make([]float64, len(payload)/8)
	for i := range data {
		data[i] = math.Float64frombits(binary.LittleEndian.Uint64(payload[8*i:]))
	}
	if h.DType != FloatDType().String() {
		return fmt.Errorf("bpgo.Load: %s holds %s variables but the runtime float type is %s (bpgo.EnableX64 / DisableX64)", path, h.DType, FloatDType())
	}
	tree, err := Walk(model)
	if err != nil {
		return fmt.Errorf("bpgo.Load: %w", err)
	}
	type assign struct {
		v    *Variable
		vals []float64
		dims []int
	}
	var plan []assign
	pos := 0
	take := func(cv ckptVar) ([]float64, error) {
		n := 1
		for _, d := range cv.Shape {
			n *= d
		}
		if pos+n > len(data) {
			return nil, fmt.Errorf("%s: data ends inside %q", path, cv.Name)
		}
		vals := data[pos : pos+n]
		pos += n
		return vals, nil
	}
	byName := map[string]*Variable{}
	for _, v := range tree.Vars {
		byName[v.name] = v
	}
	seen := map[string]bool{}
	for _, cv := range h.Vars {
		vals, err := take(cv)
		if err != nil {
			return fmt.Errorf("bpgo.Load: %w", err)
		}
		v, ok := byName[cv.Name]
		if !ok {
			return fmt.Errorf("bpgo.Load: %s has variable %q, which the model does not have", path, cv.Name)
		}
		if cv.Kind != v.Kind.String() {
			return fmt.Errorf("bpgo.Load: %q is a %s in %s but a %s in the model", cv.Name, cv.Kind, path, v.Kind)
		}
		if !sameExceptAxis(cv.Shape, v.Shape().Dimensions, v.BatchAxis) {
			return fmt.Errorf("bpgo.Load: %q has shape %v in %s but %v in the model", cv.Name, cv.Shape, path, v.Shape().Dimensions)
		}
		seen[cv.Name] = true
		plan = append(plan, assign{v, vals, cv.Shape})
	}
	for _, v := range tree.Vars {
		if !seen[v.name] && !v.random {
			return fmt.Errorf("bpgo.Load: the model's variable %q is not in %s", v.name, path)
		}
	}
	var counters map[string]int
	if opt != nil {
		o := h.Optimizer
		if o == nil {
			return fmt.Errorf("bpgo.Load: %s holds no optimizer state (it was saved without one)", path)
		}
		if t := reflect.TypeOf(opt).String(); t != o.Type {
			return fmt.Errorf("bpgo.Load: %s holds the state of a %s, not a %s", path, o.Type, t)
		}
		if len(opt.Params()) == 0 {
			if err := opt.Register(tree.Params(true)); err != nil {
				return fmt.Errorf("bpgo.Load: registering the model's parameters with the optimizer: %w", err)
			}
		}
		if names := varNames(opt.Params()); !slices.Equal(names, o.Params) {
			return fmt.Errorf("bpgo.Load: the optimizer updates %v but %s was saved for %v", names, path, o.Params)
		}
		slots := opt.Slots()
		if len(slots) != len(o.Slots) {
			return fmt.Errorf("bpgo.Load: the optimizer has %d slots but %s has %d", len(slots), path, len(o.Slots))
		}
		for i, cs := range o.Slots {
			vals, err := take(cs)
			if err != nil {
				return fmt.Errorf("bpgo.Load: %w", err)
			}
			if !slices.Equal(cs.Shape, slots[i].Shape().Dimensions) {
				return fmt.Errorf("bpgo.Load: optimizer slot %d has shape %v in %s but %v here", i, cs.Shape, path, slots[i].Shape().Dimensions)
			}
			plan = append(plan, assign{slots[i], vals, cs.Shape})
		}
		counters = o.Counters
		if _, ok := opt.(Counters); !ok && len(counters) > 0 {
			return fmt.Errorf("bpgo.Load: %s has optimizer counters but %T cannot restore them", path, opt)
		}
	} else if h.Optimizer != nil {
		for _, cs := range h.Optimizer.Slots { // not wanted: skip over them
			if _, err := take(cs); err != nil {
				return fmt.Errorf("bpgo.Load: %w", err)
			}
		}
	}
	if pos != len(data) {
		return fmt.Errorf("bpgo.Load: %s has %d values more than its header describes", path, len(data)-pos)
	}
	// Everything checked: convert, then assign.
	values := make([]*tensors.Tensor, len(plan))
	for i, a := range plan {
		t, err := FromFloat64s(a.v.Shape().DType, a.vals, a.dims...)
		if err != nil {
			return fmt.Errorf("bpgo.Load: %q: %w", a.v.name, err)
		}
		values[i] = t
	}
	if c, ok := opt.(Counters); ok && counters != nil {
		if err := c.SetCounters(counters); err != nil {
			return fmt.Errorf("bpgo.Load: optimizer counters: %w", err)
		}
	}
	for i, a := range plan {
		a.v.put(values[i])
	}
	return nil
}
