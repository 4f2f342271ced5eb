package wowclient_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/wowclient"
)

func runWho(t *testing.T, c *wowclient.Client, spin, name string) {
	t.Helper()
	typeLine(t, c, `/run MGM_RunWhoForSpin("`+spin+`","`+name+`")`)
}

func TestWho_OnlineCandidateIsReportedOnline(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Arthas", "Norinn", "Jaina")
	runWho(t, c, spinID, "Norinn")
	c.Advance(2 * time.Second)

	golden(t, "who_online", c.TagLines())
	qs := c.WhoQueries()
	require.Len(t, qs, 1)
	assert.Equal(t, `n-"Norinn"`, qs[0].Filter, "an exact-name query")
	assert.False(t, c.Shown("FriendsFrame"), "our /who must not pop the Who panel open")
}

func TestWho_OfflineCandidateIsReportedOffline(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Arthas")
	runWho(t, c, spinID, "Norinn")
	c.Advance(2 * time.Second)

	golden(t, "who_offline", c.TagLines())
}

func TestWho_SubstringMatchIsNotTheCandidate(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Норинна", "Норинниэль") // /who matches substrings; only an exact name counts
	runWho(t, c, spinID, "Норинн")
	c.Advance(2 * time.Second)

	tags := c.TagLines()
	require.Len(t, tags, 1)
	assert.Contains(t, tags[0], `"characterName":"Норинн","online":false`)
}

func TestWho_CyrillicNamesMatchCaseInsensitively(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ online, asked string }{
		{"Норинн", "нОРИНН"},
		{"ЁЖИК", "ёжик"},
		{"Élodie", "éLODIE"},
		{"norinn", "NORINN"},
	} {
		t.Run(tc.asked, func(t *testing.T) {
			t.Parallel()
			c := newClient(t)
			c.SetOnline(tc.online)
			runWho(t, c, spinID, tc.asked)
			c.Advance(2 * time.Second)
			tags := c.TagLines()
			require.Len(t, tags, 1)
			assert.Contains(t, tags[0], `"characterName":"`+tc.asked+`","online":true`)
		})
	}
}

func TestWho_RealmSuffixIsStripped(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnlinePlayers(wowclient.Player{Name: "Norinn-Icecrown"})
	runWho(t, c, spinID, "Norinn-Lordaeron")
	c.Advance(2 * time.Second)

	tags := c.TagLines()
	require.Len(t, tags, 1)
	assert.Contains(t, tags[0], `"characterName":"Norinn","online":true`)
}

func TestWho_ThrottledQueryTimesOutAndIsAskedAgain(t *testing.T) {
	t.Parallel()
	// The server answers one /who per 7 s here, longer than the addon's 5.5 s gap, so the
	// addon's first query (sent 5.5 s after the player's) is dropped without an answer.
	c := newClient(t, func(o *wowclient.Options) { o.WhoThrottle = 7 * time.Second })
	c.SetOnline("Norinn", "Arthas")
	typeLine(t, c, "/who Arthas")
	runWho(t, c, spinID, "Norinn")
	c.Advance(5 * time.Second)
	assert.Len(t, c.WhoQueries(), 1, "the addon waits for the server's throttle window")

	c.Advance(5 * time.Second) // ours goes out at +5.5 s and is dropped
	qs := c.WhoQueries()
	require.Len(t, qs, 2)
	assert.False(t, qs[1].Answered)
	assert.Empty(t, c.TagLines())

	c.Advance(3 * time.Second) // timeout at +11.5 s, asked again, answered
	golden(t, "who_throttled", c.TagLines())
	assert.True(t, c.WhoQueries()[2].Answered)
}

func TestWho_NoAnswerAtAllReportsOfflineAfterTheRetries(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	c.DropWhoQueries(100)
	runWho(t, c, spinID, "Norinn")
	c.Advance(17 * time.Second)
	assert.Empty(t, c.TagLines(), "still retrying")
	c.Advance(2 * time.Second)

	tags := c.TagLines()
	require.Len(t, tags, 1)
	assert.Contains(t, tags[0], `"online":false`)
	assert.Len(t, c.WhoQueries(), 3)
}

func TestWho_ForeignWhoWhileOursIsOutIsNotTakenForOurs(t *testing.T) {
	t.Parallel()
	// No throttle: both queries are answered, the player's one last. Its result (Arthas)
	// must not be read as "Norinn is offline".
	c := newClient(t, func(o *wowclient.Options) { o.WhoThrottle = -1 })
	c.SetOnline("Arthas")
	runWho(t, c, spinID, "Norinn")
	c.Advance(100 * time.Millisecond)
	typeLine(t, c, "/who Arthas")
	c.SetOnline("Arthas", "Norinn") // Norinn logs in meanwhile
	c.Advance(time.Second)
	assert.Empty(t, c.TagLines(), "an ambiguous result is not reported")
	assert.True(t, c.Shown("FriendsFrame"), "the player's own /who shows its panel")

	c.Advance(6 * time.Second)
	tags := c.TagLines()
	require.Len(t, tags, 1)
	assert.Contains(t, tags[0], `"characterName":"Norinn","online":true`)
}

func TestWho_ForeignWhoBeforeOursDelaysOursPastTheThrottle(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Arthas", "Norinn")
	typeLine(t, c, "/who Arthas")
	c.Advance(time.Second)
	runWho(t, c, spinID, "Norinn")
	c.Advance(5 * time.Second)

	tags := c.TagLines()
	require.Len(t, tags, 1)
	assert.Contains(t, tags[0], `"online":true`)
	for _, q := range c.WhoQueries() {
		assert.True(t, q.Answered, "no query of ours fell into the throttle: %+v", q)
	}
}

func TestWho_QueriesRunOneAtATimeInOrder(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	c.SetOnline("Norinn")
	runWho(t, c, spinID, "Norinn")
	runWho(t, c, spinID2, "Jaina")
	runWho(t, c, spinID, "Norinn") // a repeat is not queued twice
	c.Advance(time.Second)
	require.Len(t, c.WhoQueries(), 1)
	c.Advance(6 * time.Second)

	golden(t, "who_queue", c.TagLines())
	assert.Len(t, c.WhoQueries(), 2)
}

func TestWho_BadArgumentsPrintNoTag(t *testing.T) {
	t.Parallel()
	c := newClient(t)
	for _, line := range []string{
		`/run MGM_RunWhoForSpin("","Norinn")`,
		`/run MGM_RunWhoForSpin("` + spinID + `","No rinn")`,
		`/run MGM_RunWhoForSpin("` + spinID + `","N")`,
		`/run MGM_RunWhoForSpin("bad\"id","Norinn")`,
		`/run MGM_RunWhoForSpin()`,
	} {
		typeLine(t, c, line)
	}
	c.Advance(10 * time.Second)
	assert.Empty(t, c.TagLines())
	assert.Empty(t, c.WhoQueries())
}
