-- Mimiron's Gold-o-Matic: everything the addon says in chat (whispers to winners, tags in
-- whisper emit mode) leaves through one queue, paced under the server's chat flood
-- protection. The server mutes a character for 10 s after about 10 messages a second,
-- whispers included, and drops what it says meanwhile without telling the addon; a
-- muted streamer cannot talk either. So the queue sends at most one message every GAP
-- seconds — counting the streamer's own messages too — and, for a whisper, waits for
-- the server's echo (CHAT_MSG_WHISPER_INFORM) or its "no such player" before the next:
-- a whisper with neither within ECHO seconds was dropped, and goes again after MUTE
-- seconds (at most TRIES times). The queue is kept in MGM_DB, so a /reload loses
-- nothing still waiting.
local M = MimironsGoldOMatic

local C = { lastAt = nil, inflight = nil, holdUntil = nil }
M.Chat = C

C.GAP = 1.05  -- seconds between two messages: one a second is flooding under no rule
C.ECHO = 3    -- seconds to wait for a whisper's echo
C.MUTE = 11   -- seconds to wait after a whisper went missing (a mute lasts 10 s)
C.TRIES = 3

-- urgent: answers the Desktop waits for with a deadline (a pong, a pairing's answer, an
-- acknowledgement) go before the bulk (the parts of an item list), in their own order,
-- still one message a second.
local function urgent(text)
	return text:find("^%[MGM_PONG:") or text:find("^%[MGM_ACK:") or text:find("^%[MGM_PAIR:")
end

function C.Send(text, kind, target)
	local box = MGM_DB.outbox
	local m = { text = text, kind = kind or "WHISPER", target = target }
	if urgent(text) then
		local at = 1
		while box[at] and urgent(box[at].text) do at = at + 1 end
		table.insert(box, at, m)
	else
		box[#box + 1] = m
	end
	C.Pump()
end

-- Pending is how many messages wait (the one in flight included).
function C.Pending()
	return #MGM_DB.outbox + (C.inflight and 1 or 0)
end

local function sameName(a, b) return M.NameKey(a or "") == M.NameKey(b or "") end

function C.Pump()
	if not MGM_DB or type(MGM_DB.outbox) ~= "table" then return end
	local now = GetTime()
	local f = C.inflight
	if f then
		if now - f.sentAt < C.ECHO then return end
		-- no echo: the server dropped it (a mute); try again later
		C.inflight = nil
		if f.tries < C.TRIES then
			table.insert(MGM_DB.outbox, 1, f.msg)
			f.msg.tries = f.tries
			C.holdUntil = now + C.MUTE
			M.Debug("a whisper to " .. M.Safe(f.msg.target) .. " got no echo; sending it again in " .. C.MUTE .. " s")
		else
			M.Print("a whisper to " .. M.Safe(f.msg.target) .. " could not be sent (no answer from the server)")
		end
		return
	end
	if #MGM_DB.outbox == 0 then return end
	if C.holdUntil and now < C.holdUntil then return end
	if C.lastAt and now - C.lastAt < C.GAP then return end
	local m = table.remove(MGM_DB.outbox, 1)
	C.lastAt = now
	if m.kind == "WHISPER" then
		C.inflight = { msg = m, sentAt = now, tries = (tonumber(m.tries) or 0) + 1 }
	end
	C.sending = true
	local ok, err = pcall(SendChatMessage, m.text, m.kind, nil, m.target)
	C.sending = false
	if not ok then
		C.inflight = nil
		M.Print("could not send a message: " .. tostring(err))
	end
end

-- OnInform is the server's echo of a whisper we sent.
function C.OnInform(text, target)
	local f = C.inflight
	if f and f.msg.text == text and sameName(f.msg.target, target) then
		C.inflight = nil
		C.Pump()
	end
end

-- OnSystem catches "No player named '%s' is currently playing." for the whisper in flight.
function C.OnSystem(text)
	local f = C.inflight
	if not f or not ERR_CHAT_PLAYER_NOT_FOUND_S then return end
	if text == string.format(ERR_CHAT_PLAYER_NOT_FOUND_S, f.msg.target) then
		C.inflight = nil
		M.Print(M.Safe(f.msg.target) .. " is not online: the whisper was not delivered")
		C.Pump()
	end
end

-- The streamer's own messages count towards the same limit.
hooksecurefunc("SendChatMessage", function()
	if not C.sending then C.lastAt = GetTime() end
end)
