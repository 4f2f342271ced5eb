package wowclient

// Hyperlinks: an item's link as the client writes it, and a line shown without its link
// codes.

import (
	"fmt"
	"regexp"
)

var linkRe = regexp.MustCompile(`\|H[^|]*\|h|\|h`)

// stripLinks shows a line as its text (hyperlink codes removed).
func stripLinks(s string) string { return linkRe.ReplaceAllString(s, "") }

var itemLinkRe = regexp.MustCompile(`\|c[0-9a-fA-F]{8}\|H(item|spell|quest|enchant|achievement|talent|trade)[^|]*\|h\[[^|\]]*\]\|h\|r`)

var qualityColors = []string{"ff9d9d9d", "ffffffff", "ff1eff00", "ff0070dd", "ffa335ee", "ffff8000", "ffe6cc80", "ffe6cc80"}

func itemLink(it Item) string {
	q := it.Quality
	if q < 0 || q >= len(qualityColors) {
		q = 1
	}
	return fmt.Sprintf("|c%s|Hitem:%d:0:0:0:0:0:0:0:80|h[%s]|h|r", qualityColors[q], it.ID, it.Name)
}
