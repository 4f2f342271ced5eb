package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mimiron/mgm/desktop/app"
	"github.com/mimiron/mgm/desktop/inject"
	"github.com/mimiron/mgm/desktop/internal/fakeapi"
	"github.com/mimiron/mgm/desktop/settings"
	"github.com/mimiron/mgm/pkg/domain"
	"github.com/mimiron/mgm/pkg/events"
	"github.com/mimiron/mgm/pkg/tagsig"
)

// echoGame answers MGM_Ping through the chat log, as the paired addon does (its tags
// signed with key).
type echoGame struct {
	mu     sync.Mutex
	log    string
	lines  []string
	key    tagsig.Key
	probes int
}

var (
	pingRe      = regexp.MustCompile(`^/run MGM_Ping\("([^"]+)"\)$`)
	giftItemsRe = regexp.MustCompile(`^/run MGM_RequestGiftItems\("([^"]+)"\)$`)
)

// bagItems is what the game lists for MGM_RequestGiftItems, as the addon prints it.
const bagItems = `[{"itemId":33470,"name":"Frostweave Cloth","count":32,"quality":1},` +
	`{"itemId":41511,"name":"Bolt of Imbued Frostweave","count":2,"quality":2},` +
	`{"itemId":44731,"name":"Bouquet of Ebon Roses","count":1,"quality":3}]`

var (
	commandRe = regexp.MustCompile("^`MGM`([A-Za-z0-9]+) (.*)`$")
	escapeRe  = regexp.MustCompile(`\\([0-9]{3})`)
)

func (g *echoGame) write(stamp, text string) error {
	f, err := os.OpenFile(g.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "4/4 %s  %s\n", stamp, g.key.Sign(text))
	return err
}

// PostStrokes plays the addon behind its keys (addon Command.lua): the self-test key is
// answered with a pong, a command is run and acknowledged.
func (g *echoGame) PostStrokes(strokes []inject.Stroke) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(strokes) > 0 && strokes[0].Key == inject.KeyProbe {
		g.probes++
		return g.write("12:00:00.000", fmt.Sprintf("[MGM_PONG:5e55-%d]", g.probes))
	}
	var b strings.Builder
	for _, s := range strokes[1:] {
		b.WriteRune(rune(s.Char))
	}
	m := commandRe.FindStringSubmatch(b.String())
	if m == nil {
		return fmt.Errorf("not a command: %q", b.String())
	}
	line := "/run " + escapeRe.ReplaceAllStringFunc(m[2], func(e string) string {
		var n int
		fmt.Sscanf(e[1:], "%d", &n)
		return string([]byte{byte(n)})
	})
	g.lines = append(g.lines, line)
	if m := pingRe.FindStringSubmatch(line); m != nil {
		if err := g.write("12:00:00.000", "[MGM_PONG:"+m[1]+"]"); err != nil {
			return err
		}
	}
	if m := giftItemsRe.FindStringSubmatch(line); m != nil {
		if err := g.write("12:00:01.000", "[MGM_ITEMS:"+m[1]+"]"+bagItems); err != nil {
			return err
		}
	}
	return g.write("12:00:01.000", "[MGM_ACK:"+m[1]+"]")
}

func (g *echoGame) typed() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.lines, "\n")
}

type fixture struct {
	api   *fakeapi.Server
	game  *echoGame
	app   *app.App
	store settings.Store
	url   string
}

func start(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{api: fakeapi.New("k3y"), store: settings.Store{Dir: filepath.Join(dir, "cfg")}}
	t.Cleanup(f.api.Close)
	logPath := filepath.Join(dir, "WoWChatLog.txt")
	require.NoError(t, os.WriteFile(logPath, nil, 0o644))
	key, err := tagsig.NewKey([]byte("ui test key, 32 bytes, no secret"))
	require.NoError(t, err)
	f.game = &echoGame{log: logPath, key: key}
	require.NoError(t, f.store.SaveBridge(settings.Bridge{Key: key.Secret(), Self: "Mimiron"}))
	s := settings.Defaults()
	s.APIBaseURL, s.LogPath, s.WoWDir = f.api.URL, logPath, dir
	require.NoError(t, f.store.Save(s))
	require.NoError(t, f.store.SaveKey("k3y"))
	gap := time.Duration(0)
	a, err := app.New(app.Options{
		Dir: filepath.Join(dir, "state"), Store: &f.store, Injector: inject.NewHeadless(f.game),
		PollEvery: 100 * time.Millisecond, TailEvery: 20 * time.Millisecond, PingTimeout: 5 * time.Second,
		TypeGap: &gap, ProbeEvery: 50 * time.Millisecond, CommandTick: 20 * time.Millisecond, Logf: t.Logf,
	})
	require.NoError(t, err)
	f.app = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { a.Run(ctx); done <- struct{}{} }()
	urlc := make(chan string, 1)
	go func() {
		assert.NoError(t, Serve(ctx, "127.0.0.1:0", a, func(u string) { urlc <- u }))
		done <- struct{}{}
	}()
	f.url = <-urlc
	t.Cleanup(func() { cancel(); <-done; <-done })
	return f
}

func TestGuard_RefusesForeignHostsAndHeaderlessPosts(t *testing.T) {
	f := start(t)
	h := Handler(f.app)

	req := httptest.NewRequest(http.MethodGet, "/ui/state", nil)
	req.Host = "evil.example:8766"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code, "DNS rebinding host")

	req = httptest.NewRequest(http.MethodPost, "/ui/payouts/x/status", strings.NewReader(`{"status":"Cancelled"}`))
	req.Host = "127.0.0.1:8766"
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code, "cross-site POST without the header")

	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.Host = "127.0.0.1:8766"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), "Mimiron's Gold-o-Matic")
}

func TestServe_RefusesNonLoopbackAddress(t *testing.T) {
	err := Serve(context.Background(), "0.0.0.0:0", nil, nil)
	assert.Error(t, err)
}

// chromium finds Debian's browser (scripts/ensure-chromium.sh installs it).
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("MGM_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found: run scripts/ensure-chromium.sh")
	}
	t.Skip("chromium not found: run scripts/ensure-chromium.sh")
	return ""
}

// artifactDir is where screenshots go: $MGM_ARTIFACT_DIR, else a temp dir (logged).
func artifactDir(t *testing.T) string {
	if d := os.Getenv("MGM_ARTIFACT_DIR"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	d, err := os.MkdirTemp("", "mgm-desktop-screens-")
	require.NoError(t, err)
	return d
}

func browser(t *testing.T) context.Context {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: lossless PNG
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

type css = chromedp.CSS

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
	require.NoError(t, err, sel)
	return s
}

func poll(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr))
	require.NoError(t, err, expr)
}

func TestWindow_InChromium(t *testing.T) {
	f := start(t)
	pending := f.api.AddPayout("Жёлтоглазка", domain.PayoutPending)
	f.api.Accept(pending.ID)
	inprog := f.api.AddPayout("Arthas", domain.PayoutInProgress)
	waiting := f.api.AddPayout("Норинн", domain.PayoutPending)
	f.api.SetCandidate(&events.Candidate{SpinCycleID: "cycle-9", CharacterName: "Тралл"})

	ctx := browser(t)
	dir := artifactDir(t)
	row := func(id string) string { return `tr[data-id="` + id + `"]` }

	// The page loads and lists the active payouts, with acceptance shown.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(f.url),
		chromedp.WaitVisible(css(row(pending.ID))),
		chromedp.WaitVisible(css(row(inprog.ID))),
		chromedp.WaitVisible(css(row(waiting.ID))),
	))
	assert.Contains(t, text(t, ctx, row(pending.ID)+` .acc-yes`), "accepted")
	assert.Contains(t, text(t, ctx, `#candidate`), "Тралл")
	// The poller whispered the winner that had not accepted, and ran the spin's /who.
	require.Eventually(t, func() bool {
		typed := f.game.typed()
		return strings.Contains(typed, `NotifyWinnerWhisper("`+waiting.ID+`","Норинн")`) &&
			strings.Contains(typed, `MGM_RunWhoForSpin("cycle-9","Тралл")`)
	}, 5*time.Second, 20*time.Millisecond)

	// The self-test reports through the log-bridge light (it already passed at start: the
	// button's own run shows its time).
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(css(`#btn-ping`))))
	poll(t, ctx, `document.querySelector("#st-bridge").classList.contains("ok") && `+
		`/^log bridge OK \(\d+\.\d s\)$/.test(document.querySelector("#st-bridge .txt").textContent)`)
	// The signed pong confirms the pairing kept from an earlier run.
	poll(t, ctx, `document.querySelector("#st-pair").classList.contains("ok")`)
	assert.Equal(t, "paired (key "+f.game.key.ID+")", text(t, ctx, `#st-pair .txt`))
	poll(t, ctx, `document.querySelector("#st-api").classList.contains("ok") && document.querySelector("#st-wow").classList.contains("ok")`)
	shot(t, ctx, dir, "desktop-window.png")

	// Unlock moves the InProgress payout back to Pending.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(css(row(inprog.ID)+` button[data-action="Pending"]`))))
	require.Eventually(t, func() bool { p, _ := f.api.Payout(inprog.ID); return p.Status == domain.PayoutPending }, 5*time.Second, 20*time.Millisecond)

	// Sync with one payout selected: it goes InProgress and ReceiveGold is typed for it only.
	// Wait for the table to show the unlock first: it is redrawn then, and a click on a
	// row being replaced finds no node.
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(css(row(inprog.ID)+` .badge.Pending`))))
	require.Eventually(t, func() bool {
		return chromedp.Do(ctx, chromedp.Click(css(row(pending.ID)+` input[type=checkbox]`))) == nil
	}, 5*time.Second, 50*time.Millisecond, "select the payout")
	poll(t, ctx, `document.querySelector('`+row(pending.ID)+` input[type=checkbox]').checked`)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(css(`#btn-sync`)),
		chromedp.WaitVisible(css(row(pending.ID)+` .badge.InProgress`)),
	))
	p, _ := f.api.Payout(pending.ID)
	assert.Equal(t, domain.PayoutInProgress, p.Status)
	assert.Contains(t, f.game.typed(), `/run ReceiveGold("`+pending.ID+`:Жёлтоглазка:10000000")`)
	p, _ = f.api.Payout(waiting.ID)
	assert.Equal(t, domain.PayoutPending, p.Status, "not selected, not synced")

	// Settings: a new key is stored (sealed / 0600), and Test connection uses it.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(css(`#settings input[name=apiKey]`), "k3y"),
		chromedp.SetValue(css(`#settings input[name=processName]`), "WowClassic.exe"),
		chromedp.Click(css(`#settings button[type=submit]`)),
	))
	poll(t, ctx, `document.querySelector("#settings-msg").textContent === "settings saved"`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(css(`#btn-test`))))
	poll(t, ctx, `document.querySelector("#settings-msg").textContent.startsWith("connected")`)
	saved, err := f.store.Load()
	require.NoError(t, err)
	assert.Equal(t, "WowClassic.exe", saved.ProcessName)
	key, err := f.store.LoadKey()
	require.NoError(t, err)
	assert.Equal(t, "k3y", key)
	shot(t, ctx, dir, "desktop-window-after-actions.png")
}

func TestWindow_GiftSection_PickAnItem(t *testing.T) {
	f := start(t)
	g := f.api.AddGift("Норинн", "viewer7001")
	next := f.api.AddGift("Thrall", "viewer7002")
	ctx := browser(t)
	dir := artifactDir(t)
	item := func(id int) string { return fmt.Sprintf(`#gift-items button[data-item-id="%d"]`, id) }

	// The served request with the items the game listed, and the one waiting behind it.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(f.url),
		chromedp.WaitVisible(css(`#gift-active`)),
		chromedp.WaitVisible(css(item(41511))),
		chromedp.WaitVisible(css(`#gift-pending tr[data-id="`+next.ID+`"]`)),
	))
	assert.Contains(t, f.game.typed(), `/run MGM_RequestGiftItems("`+g.ID+`")`)
	head := text(t, ctx, `#gift-active .head`)
	assert.Contains(t, head, "Норинн")
	assert.Contains(t, head, "viewer7001")
	assert.Contains(t, head, "SelectingItem")
	assert.Regexp(t, `\d:\d\d left to pick an item`, text(t, ctx, `#gift-active .clock`))
	assert.Contains(t, text(t, ctx, item(33470)), "Frostweave Cloth ×32")
	row := text(t, ctx, `#gift-pending tr[data-id="`+next.ID+`"]`)
	assert.Contains(t, row, "2")
	assert.Contains(t, row, "Thrall")
	shot(t, ctx, dir, "desktop-gift-items.png")

	// Picking an item selects it at the backend and types the consent whisper.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(css(item(41511)))))
	poll(t, ctx, `document.querySelector("#gift-active .badge").textContent === "WaitingConfirmation"`)
	got, _ := f.api.Gift(g.ID)
	assert.Equal(t, domain.GiftWaitingConfirmation, got.Status)
	require.NotNil(t, got.ItemID)
	assert.EqualValues(t, 41511, *got.ItemID)
	assert.Equal(t, "Bolt of Imbued Frostweave", got.ItemName)
	assert.Contains(t, f.game.typed(), `/run MGM_RequestGiftConfirmation("`+g.ID+`","Норинн",41511,2)`)
	poll(t, ctx, `document.querySelector("#gift-active .hint").textContent.includes("waiting for Норинн to answer !twgift")`)
	poll(t, ctx, `document.querySelector('#gift-items button[data-item-id="41511"]').classList.contains("chosen")`)
	assert.Regexp(t, `[45]:\d\d left for consent`, text(t, ctx, `#gift-active .clock`))
	shot(t, ctx, dir, "desktop-gift-selected.png")
}

// Found by the HTTP sweep (issue 12): the window's errors came as text/plain from the
// mux and file server, as {"ok":false} 409s, as a 415 with a code documented as 400,
// and "/%ff%fe" as a 500. Every error now has the standard body and its code's status.
func TestHandler_EveryErrorHasTheStandardBodyAndItsCodesStatus(t *testing.T) {
	f := start(t)
	h := Handler(f.app)
	for _, c := range []struct {
		method, target, body, contentType string
		header                            bool
		status                            int
		code                              string
	}{
		{"GET", "/no/such/file", "", "", false, 404, "not_found"},
		{"GET", "/%ff%fe", "", "", false, 404, "not_found"},
		{"DELETE", "/ui/state", "", "", true, 405, "method_not_allowed"},
		{"PUT", "/ui/sync", "", "", true, 405, "method_not_allowed"},
		{"POST", "*", "", "", true, 404, "not_found"},
		{"POST", "/ui/sync", `{"ids":[]}`, "", false, 403, "forbidden"},
		{"POST", "/ui/sync", `{"ids":[]}`, "text/plain", true, 400, "invalid_payload"},
		{"POST", "/ui/sync", `{"ids":`, "application/json", true, 400, "invalid_payload"},
		{"POST", "/ui/payouts/6f1c9a4e-1b7e-4d3f-9a55-1b2c3d4e5f60/status", `{"status":"Cancelled"}`, "application/json", true, 404, "not_found"},
	} {
		req := httptest.NewRequest(c.method, "http://127.0.0.1:8766"+strings.TrimPrefix(c.target, "*"), strings.NewReader(c.body))
		if c.target == "*" {
			req.RequestURI, req.URL.Path = "*", "*"
		}
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		if c.header {
			req.Header.Set("X-MGM-Desktop", "1")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, c.status, rec.Code, "%s %s: %s", c.method, c.target, rec.Body)
		assert.True(t, strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json"), "%s %s", c.method, c.target)
		var body map[string]any
		if assert.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "%s %s: %q", c.method, c.target, rec.Body) {
			assert.Equal(t, c.code, body["code"], "%s %s", c.method, c.target)
			assert.IsType(t, "", body["message"])
			assert.IsType(t, map[string]any{}, body["details"])
			assert.Len(t, body, 3)
		}
	}
}
