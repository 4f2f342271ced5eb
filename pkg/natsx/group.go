package natsx

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrPublisherClosed is a publish asked of a GroupPublisher that has stopped.
var ErrPublisherClosed = errors.New("publisher stopped")

// GroupPublisher is a group commit in front of one JetStream stream. Every caller
// waits for its own message to be on disk, as with a synchronous publish; the
// messages that arrive while a batch is being written go together in the next one, as
// one atomic batch, so a burst costs one disk sync per batch instead of one per
// message. A lone message is written at once: there is no waiting for company; only
// when a batch large enough to go atomically is already waiting does it wait up to a
// millisecond more for deliveries still on their way. Two
// batches may be in flight, so the next one is on its way while the server writes the
// last (it still stores them one after the other). Callers that publish concurrently
// get no order between them; one that waits for its ack before the next keeps its own.
type GroupPublisher struct {
	js      jetstream.JetStream
	atomic  bool
	timeout time.Duration
	in      chan *groupReq
	stopped chan struct{}
}

// inFlight is how many batches a GroupPublisher writes at once.
const inFlight = 2

type groupReq struct {
	msg  *nats.Msg
	res  PubResult
	done chan struct{}
}

// NewGroupPublisher starts a group publisher that runs until ctx ends. atomic says
// whether the stream accepts atomic batches (AtomicAllowed); without them messages are
// still sent together, each synced on its own. timeout bounds one batch's write.
func NewGroupPublisher(ctx context.Context, js jetstream.JetStream, atomic bool, timeout time.Duration) *GroupPublisher {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	g := &GroupPublisher{js: js, atomic: atomic, timeout: timeout,
		in: make(chan *groupReq, 4*MaxAtomicBatch), stopped: make(chan struct{})}
	var wg sync.WaitGroup
	for range inFlight {
		wg.Add(1)
		go func() { defer wg.Done(); g.loop(ctx) }()
	}
	go func() { wg.Wait(); close(g.stopped) }()
	return g
}

// Publish stores msg (give it a Nats-Msg-Id to make retries safe) and returns the
// stream's acknowledgement.
func (g *GroupPublisher) Publish(ctx context.Context, msg *nats.Msg) (*jetstream.PubAck, error) {
	r := &groupReq{msg: msg, done: make(chan struct{})}
	select {
	case g.in <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-g.stopped:
		return nil, ErrPublisherClosed
	}
	select {
	case <-r.done:
		return r.res.Ack, r.res.Err
	case <-ctx.Done():
		// The message may still be stored; its Nats-Msg-Id makes the retry harmless.
		return nil, ctx.Err()
	case <-g.stopped:
		return nil, ErrPublisherClosed
	}
}

func (g *GroupPublisher) loop(ctx context.Context) {
	batch := make([]*groupReq, 0, MaxAtomicBatch)
	msgs := make([]*nats.Msg, 0, MaxAtomicBatch)
	for {
		batch, msgs = batch[:0], msgs[:0]
		select {
		case <-ctx.Done():
			return
		case r := <-g.in:
			batch = append(batch, r)
		}
		// Under load (a batch large enough to go atomically is already waiting), wait a
		// moment for the deliveries still on their way: one more sync costs more.
		var linger <-chan time.Time
	gather:
		for len(batch) < MaxAtomicBatch {
			select {
			case r := <-g.in:
				batch = append(batch, r)
				continue
			default:
			}
			if linger == nil && g.atomic && len(batch) >= MinAtomicBatch {
				linger = time.After(time.Millisecond)
			}
			if linger == nil {
				break
			}
			select {
			case r := <-g.in:
				batch = append(batch, r)
			case <-linger:
				break gather
			}
		}
		for _, r := range batch {
			msgs = append(msgs, r.msg)
		}
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.timeout)
		res := PublishAll(pctx, g.js, msgs, g.atomic)
		cancel()
		for i, r := range batch {
			r.res = res[i]
			close(r.done)
		}
	}
}
