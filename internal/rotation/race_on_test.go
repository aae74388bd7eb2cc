//go:build race

package rotation

// raceDetector is true in a -race build. Under the detector the crypto of the
// 10,000-credential runs is ten times slower (minutes instead of seconds), so those runs are
// left to make test's second pass, which runs them without it.
const raceDetector = true
