//go:build !kubernetes_protomessage_one_more_release

// Command estimator-bench compares kurator-estimator with Karmada's scheduler-estimator; it
// runs Karmada's server code, which needs the tag Karmada builds it with.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "build with -tags kubernetes_protomessage_one_more_release, as Karmada builds its estimator:\n"+
		"  go run -tags kubernetes_protomessage_one_more_release ./test/bench/estimator")
	os.Exit(2)
}
