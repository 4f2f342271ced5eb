package inject

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recorder struct {
	mu    sync.Mutex
	lines []string
	delay time.Duration
}

func (r *recorder) Type(line string) error {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, line)
	return nil
}

func TestQueue_CallsAreNeverInterleaved(t *testing.T) {
	rec := &recorder{delay: time.Millisecond}
	q := NewQueue(NewHeadless(rec))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := string(rune('a' + i))
			require.NoError(t, q.Type(ctx, p+"1", p+"2", p+"3"))
		}()
	}
	wg.Wait()
	require.Len(t, rec.lines, 12)
	for i := 0; i < 12; i += 3 {
		p := rec.lines[i][:1]
		assert.Equal(t, []string{p + "1", p + "2", p + "3"}, rec.lines[i:i+3])
	}
}

func TestQueue_RefusesOverlongLineBeforeTypingAny(t *testing.T) {
	rec := &recorder{}
	q := NewQueue(NewHeadless(rec))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	err := q.Type(ctx, "ok", strings.Repeat("x", 256))
	require.Error(t, err)
	assert.Empty(t, rec.lines)
}

func TestQueue_NotFound(t *testing.T) {
	q := NewQueue(None{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	_, err := q.Find(ctx)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, q.Type(ctx, "/run x()"), ErrNotFound)
	h := NewHeadless(nil)
	q.SetInjector(h)
	_, err = q.Find(ctx)
	assert.True(t, errors.Is(err, ErrNotFound))
}

func TestCommands_Quote(t *testing.T) {
	assert.Equal(t, `/run MGM_RunWhoForSpin("c1","Норинн")`, RunWho("c1", "Норинн"))
	assert.Equal(t, `/run NotifyWinnerWhisper("p","a\"b\\c")`, NotifyWinner("p", `a"b\c`))
	assert.Equal(t, `/run MGM_Ping("n\124x")`, Ping("n|x"))
	assert.Equal(t, `/run MGM_RequestGiftItems("g1")`, RequestGiftItems("g1"))
	assert.Equal(t, `/run MGM_RequestGiftConfirmation("g1","Норинн",33470,32)`, RequestGiftConfirmation("g1", "Норинн", 33470, 32))
	assert.Equal(t, `/run MGM_RequestGiftConfirmation("g1","Норинн",33470)`, RequestGiftConfirmation("g1", "Норинн", 33470, 0))
	assert.Equal(t, `/run MGM_CancelGift("g1")`, CancelGift("g1"))
	// the longest a gift line gets: a UUID, 12 Cyrillic letters, big item id and count
	id := "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f"
	assert.NoError(t, CheckLine(RequestGiftConfirmation(id, "Жёлтоглазкаа", 999999, 9999999)))
	assert.NoError(t, CheckLine(CancelGift(id)))
}

func TestReceiveGold_SplitsByBytesNeverInsideAnEntry(t *testing.T) {
	var es []GoldEntry
	for i := 0; i < 10; i++ {
		es = append(es, GoldEntry{PayoutID: "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5" + string(rune('0'+i)), CharacterName: "Жёлтоглазка", Copper: 10_000_000})
	}
	lines, err := ReceiveGold(es)
	require.NoError(t, err)
	require.Greater(t, len(lines), 1)
	var back []string
	for _, l := range lines {
		assert.LessOrEqual(t, len(l), MaxLineBytes)
		assert.True(t, utf8.ValidString(l))
		require.True(t, strings.HasPrefix(l, `/run ReceiveGold("`) && strings.HasSuffix(l, `")`))
		back = append(back, strings.Split(strings.TrimSuffix(strings.TrimPrefix(l, `/run ReceiveGold("`), `")`), ";")...)
	}
	require.Len(t, back, 10)
	for i, e := range es {
		assert.Equal(t, e.String(), back[i])
	}
	// By characters this first line would be well under 255; by bytes it must be cut.
	assert.Greater(t, len(lines[0]), 200)
}

func TestReceiveGold_RefusesUntypableEntry(t *testing.T) {
	_, err := ReceiveGold([]GoldEntry{{PayoutID: "a;b", CharacterName: "X", Copper: 1}})
	assert.Error(t, err)
	_, err = ReceiveGold([]GoldEntry{{PayoutID: strings.Repeat("a", 250), CharacterName: "X", Copper: 1}})
	assert.Error(t, err)
}

func FuzzReceiveGold(f *testing.F) {
	f.Add("Норинн", int64(10_000_000), uint8(7))
	f.Add("Ab", int64(1), uint8(1))
	f.Fuzz(func(t *testing.T, name string, copper int64, n uint8) {
		var es []GoldEntry
		for i := 0; i < int(n%40); i++ {
			es = append(es, GoldEntry{PayoutID: "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f", CharacterName: name, Copper: copper})
		}
		lines, err := ReceiveGold(es)
		if err != nil {
			return
		}
		count := 0
		for _, l := range lines {
			if err := CheckLine(l); err != nil {
				t.Fatalf("bad line %q: %v", l, err)
			}
			count += strings.Count(l, ";") + 1
		}
		if count != len(es) {
			t.Fatalf("entries: %d in, %d out", len(es), count)
		}
	})
}
