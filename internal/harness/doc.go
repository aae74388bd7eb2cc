// Package harness holds, in its sub-packages, everything that only the tests, the benchmarks,
// make chaos and make demo use: the stack of real processes they start (stack), the demo, the
// chaos runs and their invariants, the benchmarks, the test report printer and the check of the
// security guide's citations; and what builds the release and the container image (make release,
// make image: release, image) and checks the deployment and CI examples (deploycheck). The product (main.go, provider, controlplane and the other
// internal packages) never imports anything under it.
package harness
