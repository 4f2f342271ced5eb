// Package paneltest runs the Twitch Extension panel's browser tests
// (extension/test/browser) against the whole backend in one process: the built panel
// (dist/extension, from `make extension`) in Debian's Chromium, driven by
// playwright-core, with a fake window.Twitch.ext that mints real Extension JWTs and
// delivers the Extension PubSub messages the fake Helix recorded. The package holds
// only its test; this file gives it a name.
package paneltest
