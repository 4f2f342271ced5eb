package inject

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recorder struct {
	mu    sync.Mutex
	sends [][]Stroke
	delay time.Duration
}

func (r *recorder) PostStrokes(s []Stroke) error {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sends = append(r.sends, s)
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
			text, err := CommandText("c"+strconv.Itoa(i), Ping("n"))
			require.NoError(t, err)
			require.NoError(t, q.Send(ctx, CommandStrokes(text)...))
		}()
	}
	wg.Wait()
	require.Len(t, rec.sends, 4)
	for _, s := range rec.sends {
		assert.Equal(t, KeyCommand, s[0].Key, "each send starts with its own command key")
	}
}

func TestQueue_NotFound(t *testing.T) {
	q := NewQueue(None{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	_, err := q.Find(ctx)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.ErrorIs(t, q.Send(ctx, ProbeStrokes()...), ErrNotFound)
	h := NewHeadless(nil)
	q.SetInjector(h)
	_, err = q.Find(ctx)
	assert.True(t, errors.Is(err, ErrNotFound))
}

func TestCommands_OnlyPrintableASCIIIsTyped(t *testing.T) {
	assert.Equal(t, Call(`MGM_RunWhoForSpin("c1","\208\157\208\190\209\128\208\184\208\189\208\189")`), RunWho("c1", "Норинн"))
	assert.Equal(t, Call(`NotifyWinnerWhisper("p","a\"b\\c")`), NotifyWinner("p", `a"b\c`))
	assert.Equal(t, Call(`MGM_Ping("n\124x\096y")`), Ping("n|x`y"))
	assert.Equal(t, Call(`MGM_RequestGiftItems("g1")`), RequestGiftItems("g1"))
	assert.Equal(t, Call(`MGM_RequestGiftConfirmation("g1","Ab",33470,32)`), RequestGiftConfirmation("g1", "Ab", 33470, 32))
	assert.Equal(t, Call(`MGM_RequestGiftConfirmation("g1","Ab",33470)`), RequestGiftConfirmation("g1", "Ab", 33470, 0))
	assert.Equal(t, Call(`MGM_CancelGift("g1")`), CancelGift("g1"))
	text, err := CommandText("abc123", Ping("n"))
	require.NoError(t, err)
	assert.Equal(t, "`MGM`abc123 MGM_Ping(\"n\")`", text)
}

func TestCommands_TheLongestGiftCommandFits(t *testing.T) {
	// a UUID, 12 Cyrillic letters (96 typed characters as escapes), big item id and count
	id := "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5f"
	_, err := CommandText(strings.Repeat("z", MaxIDBytes), RequestGiftConfirmation(id, "Жёлтоглазкаа", 999999, 9999999))
	assert.NoError(t, err)
	_, err = CommandText(strings.Repeat("z", MaxIDBytes), RunWho(id, "Жёлтоглазкаа"))
	assert.NoError(t, err)
}

func TestCommands_BadIDsAndOverlongTextAreRefused(t *testing.T) {
	for _, id := range []string{"", "a b", "a-b", strings.Repeat("a", MaxIDBytes+1), "ид"} {
		_, err := CommandText(id, Ping("n"))
		assert.Error(t, err, id)
	}
	_, err := CommandText("c1", Ping(strings.Repeat("Ж", 40)))
	assert.ErrorIs(t, err, ErrTooLong, "counted as typed: 40 letters are 320 characters")
}

func TestReceiveGold_SplitsByTypedBytesNeverInsideAnEntry(t *testing.T) {
	var es []GoldEntry
	for i := 0; i < 10; i++ {
		es = append(es, GoldEntry{PayoutID: "3f2c9a1e-7b4d-4c2a-9e1f-0a1b2c3d4e5" + string(rune('0'+i)), CharacterName: "Жёлтоглазка", Copper: 10_000_000})
	}
	calls, err := ReceiveGold(es)
	require.NoError(t, err)
	require.Greater(t, len(calls), 1)
	var back []string
	for _, c := range calls {
		text, err := CommandText(strings.Repeat("z", MaxIDBytes), c)
		require.NoError(t, err, "every call fits one command with the longest id")
		require.True(t, strings.HasPrefix(string(c), `ReceiveGold("`) && strings.HasSuffix(string(c), `")`))
		assert.NotContains(t, text, "Ж")
		back = append(back, strings.Split(strings.TrimSuffix(strings.TrimPrefix(string(c), `ReceiveGold("`), `")`), ";")...)
	}
	require.Len(t, back, 10)
	for i, e := range es {
		want := luaString(e.String())
		assert.Equal(t, want[1:len(want)-1], back[i])
	}
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
		calls, err := ReceiveGold(es)
		if err != nil {
			return
		}
		count := 0
		for _, c := range calls {
			if _, err := CommandText(strings.Repeat("z", MaxIDBytes), c); err != nil {
				t.Fatalf("bad call %q: %v", c, err)
			}
			count += strings.Count(string(c), ";") + 1
		}
		if count != len(es) {
			t.Fatalf("entries: %d in, %d out", len(es), count)
		}
	})
}
