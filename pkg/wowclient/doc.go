// Package wowclient is a headless World of Warcraft 3.3.5a client for tests: it loads a
// real addon (its .toc files in order) into gopher-lua (Lua 5.1) and implements the
// subset of the 3.3.5a API and of Blizzard's UI that the Mimiron's Gold-o-Matic addon
// uses, against a simulated server (online list, /who with its throttle, whispers,
// mail, bags). It is the fake for the WoW side of the product, the way a signed EventSub
// sender is the fake for Twitch.
//
// # Life cycle
//
//	c, err := wowclient.New(wowclient.Options{Dir: dir, AddonDir: ".../addon/MimironsGoldOMatic"})
//	defer c.Close()
//
// New runs the addon files, restores SavedVariables from
// <Dir>/WTF/Account/MGM/SavedVariables/<Addon>.lua (and the per-character file), then
// fires ADDON_LOADED, VARIABLES_LOADED, PLAYER_LOGIN, PLAYER_ENTERING_WORLD — the real
// order. Reload (or typing /reload) and Logout write SavedVariables as Lua source and
// tear the UI down; Login logs in again. Close releases everything without saving.
//
// # Clock
//
// The clock is simulated and starts at Options.Start. Advance(d) moves it in frames of
// Options.Frame (50 ms): each frame runs what the server scheduled (who answers after
// WhoLatency, mail results after MailLatency), then every visible frame's OnUpdate.
// Start(ctx) instead advances it by the real elapsed time every frame from a goroutine,
// so another goroutine (the Desktop's injector) can Type while time runs. GetTime(),
// time() and date() (with "!" for UTC and "*t") all read this clock.
//
// # Input
//
// Type(line) is a line typed into the chat edit box: "/run …" and "/script …" run Lua,
// "/who …" calls SendWho, "/w Name text" (also /whisper, /t, /tell) whispers,
// "/s"/"/say" or plain text says, "/reload" reloads, and anything else goes to the
// addon's SlashCmdList via its SLASH_<KEY>n globals. Lines longer than 255 bytes
// (MaxLineBytes) return ErrLineTooLong, like the client's edit box; a line break or
// invalid UTF-8 returns ErrInvalidLine. A Lua error is returned and recorded in Errors.
// Whisper(from, text) is a whisper from a simulated player (CHAT_MSG_WHISPER).
// ClickButton(name) clicks a named, visible, enabled button (MGM_PrepareMailButton,
// SendMailMailButton, MailFrameTab2 …); SetText(name, text) types into an edit box.
// Run, Call and Eval run Lua without the 255-byte limit (set-up and inspection).
//
// Post delivers window messages as the Desktop's injector sends them: key presses
// (Input.Key, WoW key names) and WM_CHAR code units (Input.Char), and they go where the
// real client sends them (input.go): the focused edit box takes every key; without
// focus a key runs its binding (Enter opens ChatFrame1EditBox, override bindings win);
// a character without a focused box is lost. The Send tab focuses the recipient box,
// Enter there moves to the subject, SendMailFrame_Reset focuses the recipient again;
// OpenChatWith leaves the streamer's half-typed line in the chat box. Screen says what
// the window shows: the login screen and character select take keys too (LoginField,
// LoginAttempts; Enter at character select enters the world), a loading screen
// (LoadingScreen, Options.LoadingTime) swallows them (LostInputs). Characters pass
// through the ANSI code page (Options.CodePage): Cyrillic arrives as '?' unless it is
// 1251. OnTextChanged runs on the next frame, as in the client; a click (ClickButton)
// lands after pending ones. Mail with money asks first (the SEND_MONEY popup:
// StaticPopup1Button1 accepts; PressSend clicks Send and accepts).
//
// # Output
//
// The chat log may be buffered (Options.LogBuffer, LogFlushEvery, LogFlushOnToggle;
// chatlog.go): lines then reach the file in chunks that can end inside a line or a
// letter, and FlushLog writes the rest. AmbientChat fills a busy city's channel.
//
// ChatFrame1 (DEFAULT_CHAT_FRAME) writes each AddMessage, and each chat event it shows
// (whispers "[Name] whispers: text" / "To [Name]: text", system lines, says), to
// ChatLines and — while chat logging is on (LoggingChat(true)) — to
// <Dir>/Logs/WoWChatLog.txt as "M/D HH:MM:SS.mmm  text" (two spaces), written
// immediately. Options.UnloggedAddMessage leaves AddMessage output out of the file (the
// docs/product.md §9 risk) while chat events are still logged. SentWhispers, SentMails,
// WhoQueries and BagItems show what the character did.
//
// # World
//
//   - Other(name) is another player near the character: Say, Yell, Emote, Guild, Party,
//     Channel (a custom channel of any name) and Whisper reach ChatFrame1 and the chat log
//     as the real chat events would (world.go), so tests can forge tags through each.
//   - The bit library (bitlib.go) is the strict reading of the client's: arguments must be
//     signed 32-bit integers, results are signed (Options.BitUnsigned: unsigned).
//   - SetOnline(names…) / SetOnlinePlayers(…): the server's online list. The client
//     parses a /who filter with its own locale's tags (WHO_TAG_NAME …: "n-" in enUS,
//     another in ruRU), the server matches names, guilds and zones as substrings and
//     hides the other faction (Player.Faction), after WhoLatency, at most one query per
//     WhoThrottle (5 s; negative disables): a query sent sooner is dropped and never
//     answered. DropWhoQueries(n) drops the next n queries. Results reach
//     WHO_LIST_UPDATE when SetWhoToUI(1) is set (the Who panel sets it while shown);
//     with more than three the client also opens the Who panel; otherwise they are
//     printed as system lines (WHO_LIST_FORMAT).
//   - Options.Locale "ruRU" switches the global strings (locale.go) the addon and the
//     emulation use; Options.ExtraAddons loads other addons beside ours, in folder-name
//     order (testdata/addons/LibWhoLike takes over SendWho like LibWho-2.0).
//   - Chat flood protection (flood.go, AzerothCore's rule): ten messages each within
//     the whole second after the previous one mute the character for 10 s, whispers
//     included, from the tenth on; a muted character's messages are dropped with a
//     notification that never reaches the chat log (Muted, DroppedMessages,
//     Notifications), and flooding on while muted extends the mute.
//   - SendChatMessage WHISPER to an online player is delivered (CHAT_MSG_WHISPER_INFORM),
//     to an offline one produces the "No player named …" system line, to oneself also
//     echoes CHAT_MSG_WHISPER (how the addon's whisper emit mode reaches the log).
//     Messages over 255 bytes or holding a stray "|" raise a Lua error, as the real
//     server would drop them.
//   - Mail: OpenMailbox (MAIL_SHOW) and CloseMailbox (MAIL_CLOSED) drive the stand-in
//     MailFrame (framexml.lua): SendMailNameEditBox, SendMailSubjectEditBox,
//     SendMailBodyEditBox, SendMailMoney with MoneyInputFrame_SetCopper/GetCopper,
//     SendMailMailButton (SendMailFrame_SendMail → SetSendMailMoney + SendMail). SendMail
//     succeeds MailLatency later (MAIL_SEND_SUCCESS; money, postage and attached items
//     leave the character) unless FailNextMail(reason) was called, the recipient is
//     oneself or the money is short (UI_ERROR_MESSAGE + MAIL_FAILED). The server acts on
//     the mail whatever happens meanwhile, but a /reload, Logout or Login within
//     MailLatency means the answer (MAIL_SEND_SUCCESS or MAIL_FAILED) never reaches the
//     UI: the new session does not see it. Server rules (mailbox.go sendMail, after
//     HandleSendMail): some mails get no answer at all (DropNextMail, a subject holding
//     "| |"); soulbound, quest, conjured and limited-duration items are refused; the
//     other faction is refused; items to another account arrive MailDeliveryDelay (1 h)
//     later (Mail.DeliverAt). The Send button disables itself until an answer, and money
//     asks first (SEND_MONEY popup).
//   - Bags: AddBagItem(Item) fills the first free slot of bags 0–4. GetContainerNumSlots,
//     GetContainerItemLink ("|cff…|Hitem:ID:0:0:0:0:0:0:0:80|h[Name]|h|r"),
//     GetContainerItemInfo, GetContainerItemID, GetItemInfo, PickupContainerItem,
//     ClickSendMailItemButton, GetSendMailItem(Link), and GameTooltip:SetBagItem whose
//     <name>TextLeft<i> lines carry ITEM_SOULBOUND / ITEM_BIND_QUEST for bound and quest
//     items. A mail has ATTACHMENTS_MAX_SEND (12) attachment slots, each holding one
//     whole bag stack: ClickSendMailItemButton(i) puts the stack on the cursor into slot
//     i (swapping with one already there), ClickSendMailItemButton(i, true) empties it,
//     GetSendMailItem(i) answers name, texture, count, quality per slot; an attached
//     stack is locked (GetContainerItemInfo's third value) and cannot be picked up again.
//     The server takes every attached stack with the mail (postage 30 copper each).
//     SplitContainerItem is not simulated (the addon does not split stacks).
//
// Widgets are Lua tables with methods by type (Frame, Button, CheckButton, EditBox,
// FontString, Texture, GameTooltip, ScrollingMessageFrame …); scripts (OnEvent,
// OnUpdate, OnClick, OnShow, OnHide) and events behave as in the client, and OnUpdate
// runs only for visible frames. Cosmetic methods (SetPoint, SetBackdrop …) are accepted
// and ignored. Unknown methods are errors, as in the client.
//
// # Where gopher-lua is not Lua 5.1
//
// The headless client must not be kinder than the game's Lua 5.1. Replaced here:
// string.lower/upper fold ASCII only, like WoW's C-locale Lua; string.format is Lua 5.1's
// (strformat.go: gopher-lua's is Go's fmt.Sprintf, which prints "%s" of nil and accepts
// "%v"); the bit library is strict (bitlib.go); dofile, loadfile, require, io and os are
// absent. Known and not replaced:
//   - a multiple assignment to locals whose expression reads an earlier target is
//     compiled wrongly (yuin/gopher-lua#440): TestAddon_NoMultipleAssignmentGopherLuaCompilesWrong
//     keeps such statements out of the addon;
//   - numbers become strings in the shortest form (0.1+0.2 → "0.30000000000000004",
//     1e15 → "1000000000000000") where Lua 5.1 writes "%.14g" ("0.3", "1e+15"): the same
//     for the integers below 10^14 the addon prints (ids, counts, copper, time());
//   - tonumber("1e2") is nil here and 100 in Lua 5.1 (stricter here);
//   - gcinfo and table.foreach are missing here (stricter), goto is accepted here
//     (scripts/lint-addon.sh compiles every file with luac5.1, which refuses it).
//
// Every method is safe for concurrent use: one mutex guards the Lua state and the world.
package wowclient
