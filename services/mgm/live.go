package main

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mimiron/mgm/pkg/events"
)

// showLive prints the schedule and every draw, outcome and payout change as they
// happen, so `make run` shows the giveaway live in the terminal.
func showLive(nc *nats.Conn, interval time.Duration) (func(), error) {
	var subs []*nats.Subscription
	stop := func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}
	add := func(subject string, h nats.MsgHandler) error {
		s, err := nc.Subscribe(subject, h)
		if err == nil {
			subs = append(subs, s)
		}
		return err
	}
	stamp := func() string { return time.Now().UTC().Format("15:04:05") }
	if err := add("mgm.roulette.>", func(m *nats.Msg) {
		var c events.Cycle
		if _, err := events.Decode(m.Data, &c); err != nil {
			return
		}
		next := c.BoundaryAt.Add(interval).UTC().Format("15:04:05")
		switch {
		case m.Subject == events.RouletteCycleDrawn && c.CharacterName == "":
			fmt.Printf("%s  spin %s: nobody eligible; next spin %s UTC\n", stamp(), c.BoundaryAt.UTC().Format("15:04:05"), next)
		case m.Subject == events.RouletteCycleDrawn:
			fmt.Printf("%s  spin %s: candidate %s (cycle %s), /who report due by %s UTC; next spin %s UTC\n",
				stamp(), c.BoundaryAt.UTC().Format("15:04:05"), c.CharacterName, c.SpinCycleID, c.VerifyDeadline.UTC().Format("15:04:05"), next)
		case m.Subject == events.RouletteCycleCompleted:
			fmt.Printf("%s  cycle %s: %s %s\n", stamp(), c.SpinCycleID, c.Outcome, c.CharacterName)
		}
	}); err != nil {
		stop()
		return nil, err
	}
	if err := add("mgm.payout.>", func(m *nats.Msg) {
		var e events.PayoutEvent
		if _, err := events.Decode(m.Data, &e); err != nil {
			return
		}
		p := e.Payout
		switch m.Subject {
		case events.PayoutCreated:
			fmt.Printf("%s  payout %s: %s wins %d g (Pending)\n", stamp(), p.ID, p.CharacterName, p.GoldAmount)
		case events.PayoutStatusChanged:
			fmt.Printf("%s  payout %s: %s → %s\n", stamp(), p.ID, e.From, e.To)
		case events.PayoutAccepted:
			fmt.Printf("%s  payout %s: %s accepted in game\n", stamp(), p.ID, p.CharacterName)
		case events.PayoutAnnounced:
			fmt.Printf("%s  payout %s: announced in Twitch chat\n", stamp(), p.ID)
		}
	}); err != nil {
		stop()
		return nil, err
	}
	if err := add("mgm.pool.member.>", func(m *nats.Msg) {
		var pm events.PoolMember
		if _, err := events.Decode(m.Data, &pm); err != nil {
			return
		}
		fmt.Printf("%s  pool: %s %s (%d in the pool)\n", stamp(), m.Subject[len("mgm.pool.member."):], pm.CharacterName, pm.PoolSize)
	}); err != nil {
		stop()
		return nil, err
	}
	fmt.Printf("%s  next spin at %s UTC\n", stamp(), time.Now().UTC().Truncate(interval).Add(interval).Format("15:04:05"))
	return stop, nil
}
