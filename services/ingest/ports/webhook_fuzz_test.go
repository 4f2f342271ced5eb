package ports

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/services/ingest/adapters"
	"github.com/mimiron/mgm/services/ingest/app"
)

// memPublisher stands in for JetStream: the fuzz target is the webhook's decoding
// path, which the service tests cover against a real server. It keeps the events the
// real publisher would store.
type memPublisher struct{ got []events.Envelope }

func (p *memPublisher) Publish(_ context.Context, c app.Command) (bool, error) {
	env, err := adapters.Envelope(c)
	if err != nil {
		return false, err
	}
	p.got = append(p.got, env)
	return false, nil
}

// FuzzWebhook signs arbitrary bodies correctly and posts them: whatever the body, the
// answer is 200, 204 or 400 (never 5xx), and only parsable chat commands are published.
func FuzzWebhook(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "..", "pkg", "twitch", "eventsub", "testdata", "*.json"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(eventsub.TypeNotification, b)
		f.Add(eventsub.TypeVerification, b)
		f.Add(eventsub.TypeRevocation, b)
	}
	s := eventsub.NewSender("fuzz-secret-0123", "http://127.0.0.1/")
	f.Add(eventsub.TypeNotification, s.ChatMessageBody(eventsub.ChatMessageOpts{BroadcasterID: "1", UserID: "2", Text: "!twgift Jaina"}))
	f.Add(eventsub.TypeNotification, []byte(`{"subscription":{"type":"channel.chat.message"},"event":{"broadcaster_user_id":"1","chatter_user_id":"2","message_id":"3","message":{"text":"!TwGold\u00a0x"}}}`))
	f.Add("", []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		pub := &memPublisher{}
		h := &Webhook{Secret: "fuzz-secret-0123", Now: time.Now, Log: zap.NewNop(), App: app.Service{Publisher: pub}, Metrics: NewMetrics(prometheus.NewRegistry())}
		ts := eventsub.FormatTimestamp(time.Now())
		req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		req.Header.Set(eventsub.HeaderMessageID, "fuzz-delivery")
		req.Header.Set(eventsub.HeaderMessageTimestamp, ts)
		req.Header.Set(eventsub.HeaderMessageType, typ)
		req.Header.Set(eventsub.HeaderMessageSignature, eventsub.Sign("fuzz-secret-0123", "fuzz-delivery", ts, body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusNoContent, http.StatusBadRequest:
		default:
			t.Fatalf("status %d for type %q body %q: %s", rec.Code, typ, body, rec.Body.String())
		}
		if len(pub.got) > 1 {
			t.Fatalf("published %d events for one delivery", len(pub.got))
		}
		for _, env := range pub.got {
			var cmd events.ChatCommand
			if _, err := events.Decode(mustJSON(t, env), &cmd); err != nil {
				t.Fatal(err)
			}
			c, ok := domain.ParseCommand(cmd.Text)
			if !ok || (env.Type == events.ChatTwGold) != (c.Kind == domain.CommandGold) {
				t.Fatalf("published %s for text %q", env.Type, cmd.Text)
			}
			if env.ID != "fuzz-delivery" || cmd.UserID == "" || cmd.MessageID == "" || cmd.BroadcasterUserID == "" {
				t.Fatalf("published an incomplete event %+v", cmd)
			}
		}
	})
}

func mustJSON(t *testing.T, env events.Envelope) []byte {
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
