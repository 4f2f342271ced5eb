-- Mimiron's Gold-o-Matic: how the Desktop's typed commands reach the addon, and how it
-- acknowledges them (docs/product.md §9, "Typed is not delivered").
--
-- The Desktop does not press Enter into the chat box: Enter would send a line the
-- streamer had half typed there (ChatEdit_OnEnterPressed sends whatever the box holds,
-- FrameXML/ChatFrame.lua:3694), and with the chat box closed the keys would open it.
-- Instead the addon owns two key bindings (override bindings, which the addon may set
-- out of combat: FrameXML/RestrictedFrames.lua:527-556 uses the same API):
--
--   PROBE_KEY (Pause)       the bridge self-test: answers [MGM_PONG:<session>-<n>] and
--                           nothing else, so pressing it is harmless on any screen;
--   KEY (Scroll Lock)       opens MGM_CommandBox, a private edit box, and gives it focus.
--
-- A command is then typed as characters (ASCII only; bytes >= 128 as Lua \ddd escapes,
-- so it survives any Windows code page): START .. "<id> <Func>(<args>)" .. FINISH. The
-- box runs it when FINISH arrives, closes, and prints [MGM_ACK:<id>]. A command id seen
-- before is acknowledged again without running twice (MGM_DB.cmds), so the Desktop may
-- type a command again until it sees the acknowledgement.
--
-- When another edit box has the focus (the chat box holding the streamer's half-typed
-- line, the mail form), the key does nothing — a focused edit box eats every key — and
-- the characters land in that box. The addon watches the chat boxes, the mail form and
-- whatever box has the focus: when START appears in one, it takes those characters back
-- out, moves the focus to the command box for the rest, and afterwards gives the focus
-- back to that box with its text as it was (the chat box reopened with the streamer's
-- line, cursor where it was). Nothing is ever sent from the streamer's chat box, and the
-- addon never leaves the chat box open that was not open before.
local M = MimironsGoldOMatic

local CMD = { n = 0, hooked = setmetatable({}, { __mode = "k" }), watch = setmetatable({}, { __mode = "k" }) }
M.Command = CMD

CMD.KEY = "SCROLLLOCK"
CMD.PROBE_KEY = "PAUSE"
CMD.START = "`MGM`"
CMD.FINISH = "`"
CMD.OPEN_FOR = 2       -- seconds the box waits for a command before it closes by itself
CMD.KEEP_DAYS = 2      -- command ids remembered this long

-- The functions a typed command may call, by name.
local ALLOWED = {
	"MGM_RunWhoForSpin", "NotifyWinnerWhisper", "ReceiveGold", "MGM_RequestGiftItems",
	"MGM_RequestGiftConfirmation", "MGM_QueueGift", "MGM_CancelGift", "MGM_Ping", "MGM_Pair",
}

-- ParseCall reads `Func("str\208\157",12,"x")`: string arguments in double quotes with
-- \ddd, \\, \" and \n escapes, integer arguments, nothing else. It returns the name and
-- the arguments, or nil.
function CMD.ParseCall(s)
	local name, rest = s:match("^([%w_]+)%((.*)%)$")
	if not name then return nil end
	local args, i, n = {}, 1, #rest
	while i <= n do
		if rest:sub(i, i) == '"' then
			local buf = {}
			i = i + 1
			while true do
				if i > n then return nil end
				local ch = rest:sub(i, i)
				if ch == '"' then
					i = i + 1
					break
				elseif ch == "\\" then
					local d = rest:match("^%d%d?%d?", i + 1)
					if d then
						local v = tonumber(d)
						if v > 255 then return nil end
						buf[#buf + 1] = string.char(v)
						i = i + 1 + #d
					else
						local e = rest:sub(i + 1, i + 1)
						if e == "n" then
							buf[#buf + 1] = "\n"
						elseif e == "\\" or e == '"' then
							buf[#buf + 1] = e
						else
							return nil
						end
						i = i + 2
					end
				else
					buf[#buf + 1] = ch
					i = i + 1
				end
			end
			args[#args + 1] = table.concat(buf)
		else
			local num = rest:match("^%-?%d+", i)
			if not num then return nil end
			args[#args + 1] = tonumber(num)
			i = i + #num
		end
		if i <= n then
			if rest:sub(i, i) ~= "," then return nil end
			i = i + 1
			if i > n then return nil end
		end
	end
	return name, args
end

-- Run runs one command text "<id> <call>" and acknowledges it.
function CMD.Run(text)
	local id, call = text:match("^([%w]+) (.+)$")
	if not id or #id > 24 then
		M.Debug("command box: not a command")
		return
	end
	MGM_DB.cmds = MGM_DB.cmds or {}
	if MGM_DB.cmds[id] then
		M.Debug("command " .. id .. " again: acknowledged, not run twice")
		M.Emit("[MGM_ACK:" .. id .. "]")
		return
	end
	local name, args = CMD.ParseCall(call)
	local fn
	if name then
		for _, allowed in ipairs(ALLOWED) do
			if allowed == name then fn = _G[name] end
		end
	end
	MGM_DB.cmds[id] = time()
	if not fn then
		M.Print("the Desktop typed a command the addon does not know: " .. M.Safe(call))
	else
		local before = M.BridgeKeyId and M.BridgeKeyId()
		local ok, err = pcall(fn, unpack(args, 1, #args))
		if not ok then M.Print("command " .. id .. " failed: " .. M.Safe(tostring(err))) end
		if ok and name == "MGM_Pair" then
			-- the pairing finishes over the next frames (Emit.lua): acknowledge it then,
			-- signed with the new key, as the Desktop takes only signed acknowledgements
			CMD.pairAck = { id = id, key = before, at = GetTime() }
			return
		end
	end
	M.Emit("[MGM_ACK:" .. id .. "]")
end

-- pairAcked acknowledges MGM_Pair once the new key is loaded (or after 30 s anyway).
local function pairAcked()
	local p = CMD.pairAck
	if not p then return end
	local key = M.BridgeKeyId and M.BridgeKeyId()
	if (key and key ~= p.key) or GetTime() - p.at > 30 then
		CMD.pairAck = nil
		M.Emit("[MGM_ACK:" .. p.id .. "]")
	end
end

-- The command box.
local box

-- restore gives the focus back to the box it was taken from, with its text.
local function restore()
	local from = CMD.from
	CMD.from = nil
	if not from then return end
	local b = from.box
	if b.chatFrame and ChatFrame_OpenChat then
		-- a chat box lost its text with the focus (FrameXML/ChatFrame.lua:3413-3424):
		-- open it again with the streamer's line
		ChatFrame_OpenChat(from.text, b.chatFrame)
	else
		b:SetFocus()
		b:SetText(from.text)
		if b.SetCursorPosition then b:SetCursorPosition(from.cursor) end
	end
end

function CMD.Close()
	if not box or not box:IsShown() then return end
	box.closing = true
	box:SetText("")
	box:ClearFocus()
	box:Hide()
	box.closing = false
	restore()
end

-- Open shows the command box with the focus (the command key, or a takeover).
function CMD.Open(text)
	box:Show()
	box:SetText(text or "")
	box:SetFocus()
	box.openedAt = GetTime()
end

local function onBoxChar(self)
	local text = self:GetText()
	if text:sub(1, #CMD.START) ~= CMD.START:sub(1, math.min(#text, #CMD.START)) then
		-- not a command (the streamer typed into the box): close, drop it
		CMD.Close()
		return
	end
	if #text > #CMD.START + 1 and text:sub(-#CMD.FINISH) == CMD.FINISH then
		local cmd = text:sub(#CMD.START + 1, -#CMD.FINISH - 1)
		CMD.Close()
		CMD.Run(cmd)
	end
end

-- Takeover: START appeared in another edit box. Its characters are taken back out, the
-- box's text and cursor remembered, the command box takes the focus for the rest.
local function takeover(b, st)
	CMD.from = { box = b, text = st.before, cursor = st.cursor }
	b:SetText(st.before)
	if b.SetCursorPosition then b:SetCursorPosition(st.cursor) end
	CMD.Open(CMD.START)
end

local function onForeignChar(self, ch)
	if self == box or not ch then return end
	local st = CMD.watch[self]
	if not st then
		if ch == CMD.START:sub(1, 1) then
			local text = self:GetText() or ""
			local cur = (self.GetCursorPosition and self:GetCursorPosition()) or #text
			-- the text as it was before this character went in at the cursor
			CMD.watch[self] = { got = 1, before = text:sub(1, cur - 1) .. text:sub(cur + 1), cursor = cur - 1 }
		end
		return
	end
	if ch == CMD.START:sub(st.got + 1, st.got + 1) then
		st.got = st.got + 1
		if st.got == #CMD.START then
			CMD.watch[self] = nil
			takeover(self, st)
		end
	else
		CMD.watch[self] = nil
		if ch == CMD.START:sub(1, 1) then onForeignChar(self, ch) end
	end
end

-- Watch hooks an edit box's OnChar once (HookScript leaves its own scripts alone).
function CMD.Watch(b)
	if not b or CMD.hooked[b] or b == box or not b.HookScript then return end
	CMD.hooked[b] = true
	b:HookScript("OnChar", onForeignChar)
end

-- Probe is the self-test key: a pong for this game session.
function CMD.Probe()
	CMD.n = CMD.n + 1
	M.Emit("[MGM_PONG:" .. CMD.session .. "-" .. CMD.n .. "]")
end

-- Bind sets the two override bindings (not in combat: they are protected then).
function CMD.Bind()
	if InCombatLockdown and InCombatLockdown() then
		CMD.bindLater = true
		return
	end
	CMD.bindLater = false
	SetOverrideBindingClick(CMD.owner, true, CMD.KEY, "MGM_CommandButton")
	SetOverrideBindingClick(CMD.owner, true, CMD.PROBE_KEY, "MGM_ProbeButton")
end

function CMD.Init()
	CMD.session = string.format("%x%04x", time() % 0x1000000, math.random(0, 0xffff))
	local d = MGM_DB.cmds
	if type(d) ~= "table" then d = {} end
	local now = time()
	for id, at in pairs(d) do
		if type(at) ~= "number" or now - at > CMD.KEEP_DAYS * 86400 then d[id] = nil end
	end
	MGM_DB.cmds = d
	CMD.Bind()
	for i = 1, (NUM_CHAT_WINDOWS or 10) do CMD.Watch(_G["ChatFrame" .. i .. "EditBox"]) end
	CMD.Watch(SendMailNameEditBox)
	CMD.Watch(SendMailSubjectEditBox)
	CMD.Watch(SendMailBodyEditBox)
end

box = CreateFrame("EditBox", "MGM_CommandBox", UIParent)
box:SetAutoFocus(false)
box:SetMaxLetters(1024)
box:SetWidth(1)
box:SetHeight(1)
box:SetPoint("TOPLEFT", UIParent, "TOPLEFT", -100, 100)
box:Hide()
box:SetScript("OnChar", onBoxChar)
box:SetScript("OnEscapePressed", function() CMD.Close() end)
box:SetScript("OnEnterPressed", function() CMD.Close() end)
box:SetScript("OnEditFocusLost", function(self)
	if not self.closing then
		self:SetText("")
		self:Hide()
		CMD.from = nil -- someone else took the focus: leave it with them
	end
end)
box:SetScript("OnUpdate", function(self)
	if self.openedAt and GetTime() - self.openedAt > CMD.OPEN_FOR then
		self.openedAt = nil
		CMD.Close()
	end
end)
CMD.box = box

CMD.owner = CreateFrame("Frame", "MGM_BindingOwner", UIParent)
local cmdButton = CreateFrame("Button", "MGM_CommandButton", UIParent)
cmdButton:SetScript("OnClick", function() CMD.Open("") end)
local probeButton = CreateFrame("Button", "MGM_ProbeButton", UIParent)
probeButton:SetScript("OnClick", function() CMD.Probe() end)

local f = CMD.owner
f:RegisterEvent("PLAYER_LOGIN")
f:RegisterEvent("PLAYER_REGEN_ENABLED")
f:RegisterEvent("PLAYER_LOGOUT")
f:SetScript("OnEvent", function(self, event)
	if event == "PLAYER_LOGIN" then
		CMD.Init()
	elseif event == "PLAYER_REGEN_ENABLED" then
		if CMD.bindLater then CMD.Bind() end
	elseif event == "PLAYER_LOGOUT" then
		-- the session ends (logout or /reload): the Desktop stops typing until a new pong
		DEFAULT_CHAT_FRAME:AddMessage(M.SignedLine("[MGM_BYE:" .. tostring(CMD.session) .. "]"))
	end
end)
-- any edit box that has the focus is watched from the next frame on
f:SetScript("OnUpdate", function()
	if GetCurrentKeyBoardFocus then CMD.Watch(GetCurrentKeyBoardFocus()) end
	pairAcked()
end)
