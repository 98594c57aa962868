package householder_test

import (
	"fmt"

	"github.com/bpgo/bpgo/trainers/internal/householder"
)

// The R factor of a 4×2 matrix is its upper triangle after QR. Each row of R is unique up to its
// sign; the signs are LAPACK's (and gonum's).
func ExampleQR() {
	a := []float64{
		1, 2,
		1, 0,
		1, 2,
		1, 0,
	}
	if err := householder.QR(a, 4, 2, 2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("R = [%5.2f %5.2f]\n    [%5.2f %5.2f]\n", a[0], a[1], 0.0, a[3])
	// Output:
	// R = [-2.00 -2.00]
	//     [ 0.00  2.00]
}
