package service

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Version is the backend's version; release builds set it with
// -ldflags "-X github.com/mimiron/mgm/services/gateway/service.Version=1.2.3".
var Version = "0.1.0-dev"

// Minimum client versions the backend works with; older clients should ask the
// streamer to update. Set like Version.
var (
	MinDesktopVersion   = "0.1.0"
	MinAddonVersion     = "0.1.0"
	MinExtensionVersion = "0.1.0"
)

// VersionInfo is the body of GET /api/version.
type VersionInfo struct {
	Version               string         `json:"version"`
	MinimumClientVersions ClientVersions `json:"minimumClientVersions"`
}

// ClientVersions names the oldest client of each kind the backend accepts.
type ClientVersions struct {
	Desktop   string `json:"desktop"`
	Addon     string `json:"addon"`
	Extension string `json:"extension"`
}

func (g *Gateway) version(c echo.Context) error {
	return c.JSON(http.StatusOK, VersionInfo{
		Version: Version,
		MinimumClientVersions: ClientVersions{
			Desktop:   MinDesktopVersion,
			Addon:     MinAddonVersion,
			Extension: MinExtensionVersion,
		},
	})
}
