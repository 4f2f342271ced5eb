package natsx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mimiron/mgm/pkg/errs"
	"github.com/mimiron/mgm/pkg/events"
)

// Poison messages and dead letters (docs/architecture.md, "Dead letters"). A handler
// error that is not temporary means the message cannot succeed as it is; it is still
// tried PoisonDeliveries times in all (a deploy may fix the bug, a second look may win a
// race), a little later each time, and then kept as a dead letter on the MGM_DEAD stream
// and terminated: never dropped without a trace. Temporary failures (a database that is
// down, a timeout) are redelivered without limit. An operator lists a service's dead
// letters and replays them (`<service> dead list|replay`): a replay goes to the same
// consumer's handler, in whichever replica takes it, through the MGM_DEAD stream.

// PoisonDeliveries is how many deliveries a message that fails for good gets in all.
const PoisonDeliveries = 5

// PoisonDelay is the pause before the next delivery of a message that failed for good
// on its delivered-th delivery: 1, 2, 4, 8 s (tests shorten it).
var PoisonDelay = func(delivered uint64) time.Duration {
	if delivered < 1 {
		delivered = 1
	}
	return time.Second << min(delivered-1, 4)
}

// Dead-letter subjects on events.StreamDead, followed by the consumer's durable name.
const (
	DeadLetterPrefix = "mgm.dead.letter."
	DeadReplayPrefix = "mgm.dead.replay."
)

// Headers a dead letter carries beside the original message's own.
const (
	HeaderDeadConsumer   = "Mgm-Dead-Consumer"   // the durable consumer that gave up
	HeaderDeadStream     = "Mgm-Dead-Stream"     // the stream the message came from
	HeaderDeadSubject    = "Mgm-Dead-Subject"    // its subject there
	HeaderDeadStreamSeq  = "Mgm-Dead-Stream-Seq" // its sequence there
	HeaderDeadDeliveries = "Mgm-Dead-Deliveries" // how many times it was delivered
	HeaderDeadCode       = "Mgm-Dead-Code"       // the last error's code
	HeaderDeadError      = "Mgm-Dead-Error"      // the last error
	HeaderDeadAt         = "Mgm-Dead-At"         // when it was given up on (RFC 3339)
	HeaderDeadMsgID      = "Mgm-Dead-Msg-Id"     // the original Nats-Msg-Id
	HeaderDeadOf         = "Mgm-Dead-Of"         // on a replay: the dead letter's sequence
)

// keepDead publishes msg as a dead letter of consumer, with why it was given up on.
// Its Nats-Msg-Id is derived from where the message came from, so keeping it again
// (a crash between the publish and the Term) stores it once.
func keepDead(ctx context.Context, js jetstream.JetStream, stream, consumer string, msg jetstream.Msg, herr error) error {
	dead := nats.NewMsg(DeadLetterPrefix + consumer)
	dead.Data = msg.Data()
	for k, vs := range msg.Headers() {
		if strings.HasPrefix(k, "Mgm-Dead-") {
			continue // a replay that failed again: describe it afresh
		}
		if k == nats.MsgIdHdr {
			dead.Header[HeaderDeadMsgID] = vs
			continue
		}
		dead.Header[k] = vs
	}
	var seq, delivered uint64
	if md, err := msg.Metadata(); err == nil {
		seq, delivered = md.Sequence.Stream, md.NumDelivered
		stream = md.Stream
	}
	origin := stream
	if h := msg.Headers().Get(HeaderDeadStream); h != "" {
		origin = h // a replay: the message's own stream
	}
	text := herr.Error()
	if len(text) > 1024 {
		text = text[:1024]
	}
	dead.Header.Set(HeaderDeadConsumer, consumer)
	dead.Header.Set(HeaderDeadStream, origin)
	dead.Header.Set(HeaderDeadSubject, msg.Subject())
	dead.Header.Set(HeaderDeadStreamSeq, strconv.FormatUint(seq, 10))
	dead.Header.Set(HeaderDeadDeliveries, strconv.FormatUint(delivered, 10))
	dead.Header.Set(HeaderDeadCode, string(errs.CodeOf(herr)))
	dead.Header.Set(HeaderDeadError, text)
	dead.Header.Set(HeaderDeadAt, time.Now().UTC().Format(time.RFC3339Nano))
	dead.Header.Set(nats.MsgIdHdr, fmt.Sprintf("dead:%s:%s:%d", stream, consumer, seq))
	_, err := js.PublishMsg(ctx, dead)
	return err
}

// replayed presents a replay from MGM_DEAD to a handler as the original message: its
// subject and data; settling it settles the replay.
type replayed struct {
	jetstream.Msg
}

func (r replayed) Subject() string {
	if s := r.Msg.Headers().Get(HeaderDeadSubject); s != "" {
		return s
	}
	return r.Msg.Subject()
}

// DeadLetter is one message a consumer gave up on, as the operator's list shows it.
type DeadLetter struct {
	Seq        uint64          `json:"seq"` // its sequence on MGM_DEAD: what `dead replay` takes
	At         time.Time       `json:"at"`
	Consumer   string          `json:"consumer"`
	Stream     string          `json:"stream"`
	Subject    string          `json:"subject"`
	StreamSeq  uint64          `json:"streamSeq"`
	Deliveries int             `json:"deliveries"`
	Code       string          `json:"code"`
	Error      string          `json:"error"`
	Data       json.RawMessage `json:"data,omitempty"`
	Replays    int             `json:"replays"` // times an operator replayed it
}

func deadLetterOf(seq uint64, subject string, h nats.Header, data []byte) DeadLetter {
	d := DeadLetter{
		Seq: seq, Consumer: strings.TrimPrefix(subject, DeadLetterPrefix), Stream: h.Get(HeaderDeadStream),
		Subject: h.Get(HeaderDeadSubject), Code: h.Get(HeaderDeadCode), Error: h.Get(HeaderDeadError),
	}
	d.At, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderDeadAt))
	d.StreamSeq, _ = strconv.ParseUint(h.Get(HeaderDeadStreamSeq), 10, 64)
	n, _ := strconv.Atoi(h.Get(HeaderDeadDeliveries))
	d.Deliveries = n
	if json.Valid(data) {
		d.Data = json.RawMessage(data)
	} else if len(data) > 0 {
		d.Data, _ = json.Marshal(string(data))
	}
	return d
}

// ListDead lists the dead letters of the consumers whose durable name keep accepts
// (nil: all), oldest first, with how many times each was replayed.
func ListDead(ctx context.Context, js jetstream.JetStream, keep func(consumer string) bool) ([]DeadLetter, error) {
	s, err := js.Stream(ctx, events.StreamDead.Name)
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return nil, nil
		}
		return nil, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	index := map[uint64]int{}
	replays := map[uint64]int{}
	if info.State.Msgs == 0 {
		return nil, nil
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	last := info.State.LastSeq
	for done := false; !done; {
		batch, err := c.Fetch(256, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			switch {
			case strings.HasPrefix(m.Subject(), DeadLetterPrefix):
				d := deadLetterOf(md.Sequence.Stream, m.Subject(), m.Headers(), m.Data())
				if keep == nil || keep(d.Consumer) {
					index[d.Seq] = len(out)
					out = append(out, d)
				}
			case strings.HasPrefix(m.Subject(), DeadReplayPrefix):
				if of, err := strconv.ParseUint(m.Headers().Get(HeaderDeadOf), 10, 64); err == nil {
					replays[of]++
				}
			}
			done = md.Sequence.Stream >= last
		}
		if err := batch.Error(); err != nil && ctx.Err() == nil && got == 0 {
			return nil, err
		}
		if got == 0 {
			break
		}
	}
	for seq, n := range replays {
		if i, ok := index[seq]; ok {
			out[i].Replays = n
		}
	}
	return out, nil
}

// ReplayDead hands the dead letter at seq on MGM_DEAD back to its consumer's handler,
// when keep accepts that consumer (a service replays only its own). It returns the
// dead letter.
func ReplayDead(ctx context.Context, js jetstream.JetStream, seq uint64, keep func(consumer string) bool) (DeadLetter, error) {
	s, err := js.Stream(ctx, events.StreamDead.Name)
	if err != nil {
		return DeadLetter{}, err
	}
	raw, err := s.GetMsg(ctx, seq)
	if err != nil {
		return DeadLetter{}, errs.Wrap(errs.NotFound, err, "no dead letter %d", seq)
	}
	if !strings.HasPrefix(raw.Subject, DeadLetterPrefix) {
		return DeadLetter{}, errs.E(errs.NotFound, "message %d of %s is not a dead letter", seq, events.StreamDead.Name)
	}
	d := deadLetterOf(seq, raw.Subject, raw.Header, raw.Data)
	if keep != nil && !keep(d.Consumer) {
		return DeadLetter{}, errs.E(errs.NotFound, "dead letter %d belongs to %s", seq, d.Consumer)
	}
	m := nats.NewMsg(DeadReplayPrefix + d.Consumer)
	m.Data = raw.Data
	for k, vs := range raw.Header {
		m.Header[k] = vs
	}
	m.Header.Set(HeaderDeadOf, strconv.FormatUint(seq, 10))
	m.Header.Set(nats.MsgIdHdr, fmt.Sprintf("replay:%d:%d", seq, time.Now().UnixNano()))
	if _, err := js.PublishMsg(ctx, m); err != nil {
		return DeadLetter{}, err
	}
	return d, nil
}

// DeadReplays is the task that hands the operator's replays of durable's dead letters
// (ReplayDead) to h, as the original messages. Durable runs it; a consumer with a loop
// of its own runs it beside that loop.
func DeadReplays(b Bus, durable string, h BatchHandler) func(context.Context) error {
	return func(ctx context.Context) error {
		replay, err := deadReplayConsumer(ctx, b, durable)
		if err != nil {
			return err
		}
		return consumeReplays(ctx, b, durable, replay, h, nil)
	}
}

func deadReplayConsumer(ctx context.Context, b Bus, durable string) (jetstream.Consumer, error) {
	if err := EnsureStreams(ctx, b.JS, events.StreamDead); err != nil {
		return nil, err
	}
	return EnsureConsumer(ctx, b.JS, events.StreamDead.Name, jetstream.ConsumerConfig{
		Durable: durable + "-dead-replay", FilterSubject: DeadReplayPrefix + durable,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
}

func consumeReplays(ctx context.Context, b Bus, durable string, replay jetstream.Consumer, h BatchHandler, started func()) error {
	return consumeBatches(ctx, replay, NewSettler(b, events.StreamDead.Name, durable), 1, 1, func(ctx context.Context, msgs []jetstream.Msg) []error {
		return h(ctx, []jetstream.Msg{replayed{msgs[0]}})
	}, started)
}
