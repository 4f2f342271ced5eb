package adapters_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/testenv"

	"github.com/mimiron/mgm/services/pool/adapters"
	"github.com/mimiron/mgm/services/pool/app"
	"github.com/mimiron/mgm/services/pool/domain"
)

func openRepo(t testing.TB) (*pgxpool.Pool, *adapters.Postgres) {
	t.Helper()
	pg, err := adapters.Schema.Open(context.Background(), testenv.Postgres(t))
	require.NoError(t, err)
	t.Cleanup(pg.Close)
	return pg, adapters.New(pg)
}

func chatReq(key, user, name string) app.EnrollRequest {
	return app.EnrollRequest{
		Key: "chat:" + key, RememberRefusal: true, EventID: "chat:" + key, At: time.Unix(1_700_000_000, 0).UTC(),
		Member: domain.Member{TwitchUserID: user, DisplayName: "User" + user, CharacterName: name},
	}
}

// summary is what a run of enrollments leaves behind, to compare two runs.
type summary struct {
	Outcomes []string
	Members  []string
	Requests []string
	Outbox   []string
	Size     int64
	Eligible int64
}

func summarize(t *testing.T, pg *pgxpool.Pool, outs []app.EnrollOutcome) summary {
	t.Helper()
	ctx := context.Background()
	var s summary
	for _, o := range outs {
		switch {
		case o.Refusal != nil:
			s.Outcomes = append(s.Outcomes, "refused "+string(errs.CodeOf(o.Refusal)))
		case o.Result.Replay:
			s.Outcomes = append(s.Outcomes, fmt.Sprintf("replay %s %q", o.Result.ReplayName, o.Result.ReplayOutcome))
		default:
			s.Outcomes = append(s.Outcomes, string(o.Result.Change.Kind))
		}
	}
	rows := func(sql string) []string {
		r, err := pg.Query(ctx, sql)
		require.NoError(t, err)
		defer r.Close()
		var out []string
		for r.Next() {
			v, err := r.Values()
			require.NoError(t, err)
			out = append(out, fmt.Sprint(v...))
		}
		require.NoError(t, r.Err())
		return out
	}
	s.Members = rows(`SELECT twitch_user_id, ' ', character_name, ' ', folded_name, ' ', display_name, ' ', slot IS NOT NULL FROM members ORDER BY twitch_user_id`)
	s.Requests = rows(`SELECT request_key, ' ', outcome FROM enrollment_requests ORDER BY request_key`)
	s.Outbox = rows(`SELECT envelope_id, ' ', subject FROM outbox ORDER BY id`)
	require.NoError(t, pg.QueryRow(ctx, `SELECT pool_size, eligible_count FROM pool_state`).Scan(&s.Size, &s.Eligible))
	slots := rows(`SELECT slot FROM members WHERE slot IS NOT NULL ORDER BY slot`)
	for i, sl := range slots {
		assert.Equal(t, fmt.Sprint(i), sl, "slots stay dense")
	}
	return s
}

// One batch in which each request depends on the ones before it: a rename frees a
// name a later request takes, a name taken earlier in the batch is refused, a key
// repeated in the batch is a replay.
var dependentBatch = []app.EnrollRequest{
	chatReq("1", "u1", "Alice"),
	chatReq("2", "u2", "alice"),  // taken by u1
	chatReq("3", "u1", "Bob"),    // rename frees Alice
	chatReq("4", "u2", "ALICE"),  // now free
	chatReq("5", "u3", "bob"),    // taken by u1 again
	chatReq("6", "u1", "Bob"),    // unchanged
	chatReq("1", "u1", "Alice"),  // the same chat message again
	chatReq("7", "u3", "Тралл"),  // Cyrillic
	chatReq("8", "u4", "тРАЛЛ"),  // folded collision
	chatReq("9", "u3", "Thrall"), // rename frees Тралл
}

func TestEnrollBatch_MatchesOneAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pgBatch, batch := openRepo(t)
	outs, err := batch.EnrollBatch(ctx, dependentBatch)
	require.NoError(t, err)
	got := summarize(t, pgBatch, outs)

	pgOne, one := openRepo(t)
	var want []app.EnrollOutcome
	for _, req := range dependentBatch {
		res, err := one.Enroll(ctx, req)
		if err != nil && errs.CodeOf(err) == errs.CharacterNameTaken {
			want = append(want, app.EnrollOutcome{Refusal: err})
			continue
		}
		require.NoError(t, err)
		want = append(want, app.EnrollOutcome{Result: res})
	}
	assert.Equal(t, summarize(t, pgOne, want), got)

	taken := "refused " + string(errs.CharacterNameTaken)
	assert.Equal(t, []string{
		"enrolled", taken, "renamed", "enrolled", taken, "unchanged", `replay Alice ""`, "enrolled", taken, "renamed",
	}, got.Outcomes)
	assert.EqualValues(t, 3, got.Size)
	assert.EqualValues(t, 3, got.Eligible)
	assert.Equal(t, []string{
		"chat:1:enrolled mgm.pool.member.enrolled", "chat:3:renamed mgm.pool.member.renamed",
		"chat:4:enrolled mgm.pool.member.enrolled", "chat:7:enrolled mgm.pool.member.enrolled",
		"chat:9:renamed mgm.pool.member.renamed",
	}, got.Outbox)
}

func TestEnrollBatch_RedeliveredBatchIsAllReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg, repo := openRepo(t)
	_, err := repo.EnrollBatch(ctx, dependentBatch)
	require.NoError(t, err)
	before := summarize(t, pg, nil)
	outs, err := repo.EnrollBatch(ctx, dependentBatch)
	require.NoError(t, err)
	for i, o := range outs {
		assert.True(t, o.Result.Replay, "request %d", i)
		assert.NoError(t, o.Refusal)
	}
	assert.Equal(t, errs.CharacterNameTaken, outs[1].Result.ReplayOutcome, "a refusal stays refused")
	assert.Equal(t, before, summarize(t, pg, nil), "nothing changed")
}
