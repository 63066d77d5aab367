// Package suggest finds the known name a mistyped one was probably meant to
// be, for "did you mean" hints in error messages.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the candidate that name differs from only in case, or by
// at most two edits (one for names of four runes or fewer), or "" when none
// is that close. Among equally close candidates the first wins, so callers
// pass candidates in a stable order.
func Closest(name string, candidates []string) string {
	for _, c := range candidates {
		if strings.EqualFold(c, name) {
			return c
		}
	}
	limit := 2
	if utf8.RuneCountInString(name) <= 4 {
		limit = 1
	}
	best, bestDist := "", limit+1
	lower := strings.ToLower(name)
	for _, c := range candidates {
		if d := len(name) - len(c); d > limit || d < -limit {
			continue
		}
		if dist := editDistance(lower, strings.ToLower(c)); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// Hint renders Closest as a message suffix: "; did you mean \"x\"?", or ""
// when no candidate is close.
func Hint(name string, candidates []string) string {
	if best := Closest(name, candidates); best != "" {
		return "; did you mean " + quote(best) + "?"
	}
	return ""
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
