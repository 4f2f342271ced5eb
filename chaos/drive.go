package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
)

// chatMessage is one viewer's chat command, delivered until the edge acknowledges it.
type chatMessage struct {
	UserID, Login, Name, Text string
	MessageID                 string // the chat message_id: the enrollment's idempotency key
	DeliveryID                string // Twitch-Eventsub-Message-Id, the same on every redelivery
	FirstSent, AckedAt        time.Time
	Attempts                  int
	Failures                  []string // why earlier attempts were not acknowledged
}

// viewerName is the i-th viewer's character name: syllables (consonant + vowel) so no
// letter repeats three times and every name is distinct after case folding, 2–12
// letters as docs/product.md §2 demands.
func viewerName(i int) string {
	const cons, vows = "bdfgklmnprstvz", "aeiou"
	syl := func(n int) string { return string(cons[n%len(cons)]) + string(vows[(n/len(cons))%len(vows)]) }
	n := len(cons) * len(vows)
	first := syl(i / n % n)
	return strings.ToUpper(first[:1]) + first[1:] + syl(i%n) + "ric"
}

// twitch plays Twitch's EventSub for the run: every chat message is a signed webhook
// delivery to the ingest balancer, redelivered with the same delivery id until a 2xx
// comes back — Twitch "sends event notifications at least once, but if Twitch is unsure
// of whether you received a notification, it'll resend the event"
// (https://dev.twitch.tv/docs/eventsub/#handling-duplicate-events). Twitch's retry
// schedule is not documented (unknown); retrying fast is the stricter choice (more
// duplicates, sooner). "You must respond to notification requests within a few
// seconds" (https://dev.twitch.tv/docs/eventsub/handling-webhook-events/): the sender
// gives up on an answer after 3 s and redelivers.
type twitch struct {
	sender *eventsub.Sender
	mu     sync.Mutex
	msgs   []*chatMessage
	sent   atomic.Int64
	failed atomic.Int64
}

func newTwitch(webhookURL string) *twitch {
	s := eventsub.NewSender(eventSubSecret, webhookURL)
	s.Client.Timeout = 3 * time.Second
	return &twitch{sender: s}
}

// deliver posts m until it is acknowledged or ctx ends.
func (tw *twitch) deliver(ctx context.Context, m *chatMessage) {
	tw.mu.Lock()
	tw.msgs = append(tw.msgs, m)
	tw.mu.Unlock()
	body := tw.sender.ChatMessageBody(eventsub.ChatMessageOpts{
		BroadcasterID: broadcasterID, UserID: m.UserID, UserLogin: m.Login, UserName: m.Login,
		Text: m.Text, Badges: []string{"subscriber"}, MessageID: m.MessageID,
	})
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		tw.mu.Lock()
		if m.FirstSent.IsZero() {
			m.FirstSent = time.Now()
		}
		attempt := m.Attempts
		m.Attempts++
		tw.mu.Unlock()
		tw.sent.Add(1)
		resp, err := tw.sender.Send(ctx, eventsub.TypeNotification, eventsub.SubscriptionChatMessage, body,
			eventsub.WithDeliveryID(m.DeliveryID), eventsub.WithRetry(attempt))
		why := ""
		if err != nil {
			why = err.Error()
		} else {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				tw.mu.Lock()
				m.AckedAt = time.Now()
				tw.mu.Unlock()
				return
			}
			why = resp.Status
		}
		tw.failed.Add(1)
		tw.mu.Lock()
		if len(m.Failures) < 5 {
			m.Failures = append(m.Failures, fmt.Sprintf("%s: %s", time.Now().Format("15:04:05.000"), why))
		}
		tw.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		if backoff < 2*time.Second {
			backoff *= 2
		}
	}
}

// messages is a snapshot of every message handed to deliver.
func (tw *twitch) messages() []chatMessage {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	out := make([]chatMessage, len(tw.msgs))
	for i, m := range tw.msgs {
		out[i] = *m
	}
	return out
}

func newChat(userID, name, text string) *chatMessage {
	return &chatMessage{
		UserID: userID, Login: "viewer" + userID, Name: name, Text: text,
		MessageID: uuid.NewString(), DeliveryID: uuid.NewString(),
	}
}

// enrollAll sends n `!twgold` enrollments spread evenly over span, each from its own
// subscriber, delivered concurrently (several deliveries are in flight at any time, as
// Twitch's are).
func (tw *twitch) enrollAll(ctx context.Context, n int, span time.Duration, names []string) *sync.WaitGroup {
	var wg sync.WaitGroup
	gap := span / time.Duration(n)
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n && ctx.Err() == nil; i++ {
			if d := time.Until(start.Add(time.Duration(i) * gap)); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			}
			m := newChat(fmt.Sprintf("%d", 2000000+i), names[i], "!twgold "+names[i])
			wg.Add(1)
			go func() {
				defer wg.Done()
				tw.deliver(ctx, m)
			}()
		}
	}()
	return &wg
}

// httpStatus is a tiny GET used by the drain to check the edges.
func httpStatus(ctx context.Context, url string) int {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
