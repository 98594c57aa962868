package kernel

import (
	"fmt"
	"regexp"
)

var metricName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Metric prints a key number in the one stable format the headless notebook runner checks
// against declared bounds: "metric <name> = <value>".
func Metric(name string, value float64) {
	if !metricName.MatchString(name) {
		panic(fmt.Sprintf("kernel.Metric: name %q must match [A-Za-z0-9_]+", name))
	}
	fmt.Printf("metric %s = %.6g\n", name, value)
}
