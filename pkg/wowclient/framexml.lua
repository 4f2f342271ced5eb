-- Stand-ins for the pieces of Blizzard's 3.3.5a FrameXML that addons build on: global
-- helpers and strings, the default chat frame, the mailbox's send form, the Who panel and
-- GameTooltip. Written for the headless client; behaviour follows the real UI closely
-- enough for an addon to be driven the same way.

-- helpers the client defines globally
format = string.format
strlen, strsub, strlower, strupper = string.len, string.sub, string.lower, string.upper
strfind, strmatch, gsub, strrep, strbyte, strchar = string.find, string.match, string.gsub, string.rep, string.byte, string.char
tinsert, tremove, sort = table.insert, table.remove, table.sort
floor, ceil, abs, max, min, mod = math.floor, math.ceil, math.abs, math.max, math.min, math.fmod
getn = table.getn

function strtrim(s, chars)
	chars = chars or " \t\r\n"
	local pat = "[" .. chars:gsub("[%]%%%^%-]", "%%%0") .. "]"
	s = s:gsub("^" .. pat .. "+", "")
	s = s:gsub(pat .. "+$", "")
	return s
end

function strsplit(sep, s, limit)
	local out, pos, n = {}, 1, 0
	while true do
		n = n + 1
		if limit and n >= limit then out[#out + 1] = s:sub(pos); break end
		local a, b = s:find("[" .. sep .. "]", pos)
		if not a then out[#out + 1] = s:sub(pos); break end
		out[#out + 1] = s:sub(pos, a - 1)
		pos = b + 1
	end
	return unpack(out)
end

function strjoin(sep, ...) return table.concat({ ... }, sep) end

function wipe(t) for k in pairs(t) do t[k] = nil end return t end

function tContains(t, v) for _, x in ipairs(t) do if x == v then return 1 end end return nil end

function getglobal(n) return _G[n] end
function setglobal(n, v) _G[n] = v end

local function pack(...) return { n = select("#", ...), ... } end

function hooksecurefunc(tbl, name, hook)
	if type(tbl) == "string" then
		hook = name
		name = tbl
		tbl = _G
	end
	local orig = tbl[name]
	if type(orig) ~= "function" then error("hooksecurefunc(): " .. tostring(name) .. " is not a function", 2) end
	tbl[name] = function(...)
		local r = pack(orig(...))
		hook(...)
		return unpack(r, 1, r.n)
	end
end

local errorHandler = function(msg) __wowclient_error(msg) end
function geterrorhandler() return errorHandler end
function seterrorhandler(f) errorHandler = f end

SlashCmdList = {}

NUM_BAG_SLOTS = 4
ATTACHMENTS_MAX_SEND = 12
BACKPACK_CONTAINER = 0
ITEM_SOULBOUND = "Soulbound"
ITEM_BIND_QUEST = "Quest Item"
ITEM_ACCOUNTBOUND = "Account Bound"
ITEM_BIND_TO_ACCOUNT = "Binds to account"
ITEM_CONJURED = "Conjured Item"
ITEM_STARTS_QUEST = "This Item Begins a Quest"

UIParent = CreateFrame("Frame", "UIParent")
WorldFrame = CreateFrame("Frame", "WorldFrame")
Minimap = CreateFrame("Frame", "Minimap", UIParent)

ChatFrame1 = CreateFrame("ScrollingMessageFrame", "ChatFrame1", UIParent)
DEFAULT_CHAT_FRAME = ChatFrame1
SELECTED_CHAT_FRAME = ChatFrame1

function print(...)
	local parts = {}
	for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
	DEFAULT_CHAT_FRAME:AddMessage(table.concat(parts, " "))
end

UIErrorsFrame = CreateFrame("MessageFrame", "UIErrorsFrame", UIParent)
UIErrorsFrame:RegisterEvent("UI_ERROR_MESSAGE")
UIErrorsFrame:SetScript("OnEvent", function(self, event, msg) self:AddMessage(msg) end)

GameTooltip = CreateFrame("GameTooltip", "GameTooltip", UIParent, "GameTooltipTemplate")
GameTooltip:Hide()

function ShowUIPanel(f) if f then f:Show() end end
function HideUIPanel(f) if f then f:Hide() end end

-- The Who panel opens itself when results arrive for the UI (SetWhoToUI(1)).
FriendsFrame = CreateFrame("Frame", "FriendsFrame", UIParent)
FriendsFrame:Hide()
FriendsFrame:RegisterEvent("WHO_LIST_UPDATE")
FriendsFrame:SetScript("OnEvent", function(self, event)
	if event == "WHO_LIST_UPDATE" then ShowUIPanel(self) end
end)

-- The mailbox.
MailFrame = CreateFrame("Frame", "MailFrame", UIParent)
MailFrame:Hide()
InboxFrame = CreateFrame("Frame", "InboxFrame", MailFrame)
SendMailFrame = CreateFrame("Frame", "SendMailFrame", MailFrame)
SendMailFrame:Hide()
MailFrameTab1 = CreateFrame("Button", "MailFrameTab1", MailFrame)
MailFrameTab2 = CreateFrame("Button", "MailFrameTab2", MailFrame)
SendMailNameEditBox = CreateFrame("EditBox", "SendMailNameEditBox", SendMailFrame)
SendMailSubjectEditBox = CreateFrame("EditBox", "SendMailSubjectEditBox", SendMailFrame)
SendMailBodyEditBox = CreateFrame("EditBox", "SendMailBodyEditBox", SendMailFrame)
SendMailMoney = CreateFrame("Frame", "SendMailMoney", SendMailFrame)
SendMailSendMoneyButton = CreateFrame("CheckButton", "SendMailSendMoneyButton", SendMailFrame)
SendMailSendMoneyButton:SetChecked(1)
SendMailCODButton = CreateFrame("CheckButton", "SendMailCODButton", SendMailFrame)
SendMailMailButton = CreateFrame("Button", "SendMailMailButton", SendMailFrame)
SendMailCancelButton = CreateFrame("Button", "SendMailCancelButton", SendMailFrame)

function MoneyInputFrame_SetCopper(frame, copper) frame.copper = copper end
function MoneyInputFrame_GetCopper(frame) return frame.copper or 0 end
function MoneyInputFrame_ResetMoney(frame) frame.copper = 0 end

function MailFrameTab_OnClick(self, tab)
	tab = tab or (self and self:GetID()) or 1
	if tab == 2 then
		InboxFrame:Hide()
		SendMailFrame:Show()
	else
		SendMailFrame:Hide()
		InboxFrame:Show()
	end
end
MailFrameTab1:SetID(1)
MailFrameTab2:SetID(2)
MailFrameTab1:SetScript("OnClick", function(self) MailFrameTab_OnClick(self) end)
MailFrameTab2:SetScript("OnClick", function(self) MailFrameTab_OnClick(self) end)

function SendMailFrame_Reset()
	SendMailNameEditBox:SetText("")
	SendMailSubjectEditBox:SetText("")
	SendMailBodyEditBox:SetText("")
	MoneyInputFrame_ResetMoney(SendMailMoney)
	SendMailSendMoneyButton:SetChecked(1)
	SendMailCODButton:SetChecked(nil)
end

-- As in the client, money the character does not have stops the send before SendMail.
function SendMailFrame_SendMail()
	local copper = MoneyInputFrame_GetCopper(SendMailMoney)
	if SendMailSendMoneyButton:GetChecked() then
		if not SetSendMailMoney(copper) then
			UIErrorsFrame:AddMessage("You don't have enough money.")
			return
		end
	else
		SetSendMailCOD(copper)
	end
	SendMail(SendMailNameEditBox:GetText(), SendMailSubjectEditBox:GetText(), SendMailBodyEditBox:GetText())
end
SendMailMailButton:SetScript("OnClick", function() SendMailFrame_SendMail() end)
SendMailCancelButton:SetScript("OnClick", function() HideUIPanel(MailFrame) end)

MailFrame:RegisterEvent("MAIL_SHOW")
MailFrame:RegisterEvent("MAIL_CLOSED")
MailFrame:RegisterEvent("MAIL_SEND_SUCCESS")
MailFrame:SetScript("OnEvent", function(self, event)
	if event == "MAIL_SHOW" then
		ShowUIPanel(MailFrame)
		MailFrameTab_OnClick(nil, 1)
	elseif event == "MAIL_CLOSED" then
		HideUIPanel(MailFrame)
	elseif event == "MAIL_SEND_SUCCESS" then
		SendMailFrame_Reset()
	end
end)
