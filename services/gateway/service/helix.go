package service

import (
	"github.com/mimiron/mgm/pkg/config"
	"github.com/mimiron/mgm/pkg/twitch/helix"
)

// newHelixChecker is the production subscriber check: Helix "Get Broadcaster
// Subscriptions" filtered by user_id, with the broadcaster's token.
func newHelixChecker(cfg config.Config) SubscriptionChecker { return helix.New(cfg) }

var _ SubscriptionChecker = (*helix.Client)(nil)
