package natsx

import (
	"context"
	"errors"
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
// message. A lone message is written at once: there is no waiting for company.
type GroupPublisher struct {
	js      jetstream.JetStream
	atomic  bool
	timeout time.Duration
	in      chan *groupReq
	stopped chan struct{}
}

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
	go g.loop(ctx)
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
	defer close(g.stopped)
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
	gather:
		for len(batch) < MaxAtomicBatch {
			select {
			case r := <-g.in:
				batch = append(batch, r)
			default:
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
