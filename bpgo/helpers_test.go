package bpgo_test

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

func tensorsShape(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
