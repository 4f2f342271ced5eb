package allinone

import (
	"time"

	"github.com/mimiron/mgm/pkg/twitch/eventsub"
	"github.com/mimiron/mgm/pkg/twitch/extjwt"
)

// Sender is a signed EventSub sender aimed at the public webhook address.
func (s *System) Sender() *eventsub.Sender {
	return eventsub.NewSender(s.Config.EventSubSecret, s.URL+"/api/twitch/eventsub")
}

// ViewerToken mints an Extension JWT for userID on this deployment's channel.
func (s *System) ViewerToken(userID string) string {
	return extjwt.Mint(s.Config.ExtensionSecrets[0], extjwt.Claims{
		UserID: userID, OpaqueUserID: "U" + userID, ChannelID: s.Config.BroadcasterID,
		Role: "viewer", Exp: time.Now().Add(time.Hour),
	})
}
