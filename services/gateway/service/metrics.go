package service

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mimiron/mgm/pkg/natsx"
)

// routeMetrics count and time the API's requests by route (echo's pattern, so
// /api/payouts/:id/status is one series) and status.
type routeMetrics struct {
	requests *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

func newRouteMetrics(reg *prometheus.Registry) *routeMetrics {
	if reg == nil {
		return nil
	}
	return &routeMetrics{
		requests: natsx.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mgm_gateway_requests_total", Help: "API requests answered, by route and status code.",
		}, []string{"route", "code"})),
		seconds: natsx.Register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "mgm_gateway_request_duration_seconds", Help: "Time to answer an API request, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"})),
	}
}

// observe is the middleware. An error is turned into its answer here (c.Error), so the
// status counted is the one sent. The EventSub proxy writes past echo's Response and is
// counted by ingest.
func (g *Gateway) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "/api/twitch/eventsub" || g.metrics == nil {
			return err
		}
		if err != nil {
			c.Error(err)
		}
		if route == "" {
			route = "unmatched"
		}
		g.metrics.requests.WithLabelValues(route, strconv.Itoa(c.Response().Status)).Inc()
		g.metrics.seconds.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}
