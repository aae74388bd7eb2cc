package contract

// ListLimit is how many records a List method returns for the limit a caller asked for: 0 (or
// less) means 100, and no call returns more than 1000.
func ListLimit(n int) int {
	if n <= 0 {
		return 100
	}
	return min(n, 1000)
}
