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
ATTACHMENTS_MAX_SEND = 12 -- FrameXML/MailFrame.lua:6
BACKPACK_CONTAINER = 0

UIParent = CreateFrame("Frame", "UIParent")
WorldFrame = CreateFrame("Frame", "WorldFrame")
Minimap = CreateFrame("Frame", "Minimap", UIParent)

ChatFrame1 = CreateFrame("ScrollingMessageFrame", "ChatFrame1", UIParent)
DEFAULT_CHAT_FRAME = ChatFrame1
SELECTED_CHAT_FRAME = ChatFrame1

-- The chat edit box of the default chat frame (3.3.5 gives every chat frame its own:
-- FrameXML/ChatFrame.xml:21 template, letters="255", autoFocus="false", hidden).
ChatFrame1EditBox = CreateFrame("EditBox", "ChatFrame1EditBox", ChatFrame1)
ChatFrame1EditBox:SetAutoFocus(false)
ChatFrame1EditBox:SetMaxLetters(255)
ChatFrame1EditBox:Hide()
ChatFrame1EditBox.chatFrame = ChatFrame1
ChatFrame1.editBox = ChatFrame1EditBox
ACTIVE_CHAT_EDIT_BOX, LAST_ACTIVE_CHAT_EDIT_BOX = nil, ChatFrame1EditBox

-- ChatEdit_ActivateChat / _DeactivateChat as FrameXML/ChatFrame.lua:3382-3436 with the
-- "im" chat style (the 3.3.5 default): losing focus empties the box
-- (ChatEdit_SetDeactivated, ChatFrame.lua:3411-3428, the "im" branch :3415-3426), which is
-- how a half-typed line is destroyed when anything else takes the focus. The box is also
-- hidden here, as the "classic" branch does (:3413-3414); in "im" style it stays shown,
-- empty, unfocused and faded — no key reaches it either way (autoFocus is off).
function ChatEdit_ActivateChat(editBox)
	if ACTIVE_CHAT_EDIT_BOX and ACTIVE_CHAT_EDIT_BOX ~= editBox then ChatEdit_DeactivateChat(ACTIVE_CHAT_EDIT_BOX) end
	ACTIVE_CHAT_EDIT_BOX = editBox
	LAST_ACTIVE_CHAT_EDIT_BOX = editBox
	editBox:Show()
	editBox:SetFocus()
end

function ChatEdit_DeactivateChat(editBox)
	if ACTIVE_CHAT_EDIT_BOX == editBox then ACTIVE_CHAT_EDIT_BOX = nil end
	editBox:SetText("")
	editBox:ClearFocus()
	editBox:Hide()
end

function ChatEdit_GetActiveWindow() return ACTIVE_CHAT_EDIT_BOX end
function ChatEdit_GetLastActiveWindow() return LAST_ACTIVE_CHAT_EDIT_BOX end
function ChatEdit_ChooseBoxForSend() return DEFAULT_CHAT_FRAME.editBox end

-- ChatFrame_OpenChat (ChatFrame.lua:3045-3062): the text is set on the box's next
-- OnUpdate (editBox.setText, ChatEdit_OnUpdate at ChatFrame.lua:3328-3334).
function ChatFrame_OpenChat(text, chatFrame)
	local editBox = ChatEdit_ChooseBoxForSend(chatFrame)
	ChatEdit_ActivateChat(editBox)
	editBox.setText = 1
	editBox.text = text
	return editBox
end

-- ChatEdit_SendText (ChatFrame.lua:3659-3692) and ChatEdit_OnEnterPressed (3694-3713):
-- Enter sends whatever the box holds, then the box closes.
function ChatEdit_SendText(editBox, addHistory)
	local text = editBox:GetText()
	if strfind(text, "%s*[^%s]+") then __wowclient_chatline(text) end
end

function ChatEdit_OnEnterPressed(self)
	ChatEdit_SendText(self, 1)
	ChatEdit_OnEscapePressed(self)
end

function ChatEdit_OnEscapePressed(editBox)
	ChatEdit_DeactivateChat(editBox)
end

ChatFrame1EditBox:SetScript("OnUpdate", function(self)
	if self.setText == 1 then
		self:SetText(self.text or "")
		self.setText = 0
	end
end)
ChatFrame1EditBox:SetScript("OnEnterPressed", function(self) ChatEdit_OnEnterPressed(self) end)
ChatFrame1EditBox:SetScript("OnEscapePressed", function(self) ChatEdit_OnEscapePressed(self) end)
ChatFrame1EditBox:SetScript("OnEditFocusGained", function(self) ChatEdit_ActivateChat(self) end)
ChatFrame1EditBox:SetScript("OnEditFocusLost", function(self) ChatEdit_DeactivateChat(self) end)

-- Key binding actions (FrameXML/Bindings.xml:93-110).
__Bindings = {
	OPENCHAT = function() ChatFrame_OpenChat("") end,
	OPENCHATSLASH = function() ChatFrame_OpenChat("/") end,
	REPLY = function() ChatFrame_OpenChat("") end,
}

-- EditBox_ClearFocus (FrameXML/UIPanelTemplates.lua:417).
function EditBox_ClearFocus(self) self:ClearFocus() end

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

-- StaticPopup: one dialog frame with Accept and Cancel (FrameXML/StaticPopup.lua).
StaticPopupDialogs = {}
StaticPopup1 = CreateFrame("Frame", "StaticPopup1", UIParent)
StaticPopup1:Hide()
StaticPopup1Button1 = CreateFrame("Button", "StaticPopup1Button1", StaticPopup1)
StaticPopup1Button2 = CreateFrame("Button", "StaticPopup1Button2", StaticPopup1)
StaticPopup1Text = StaticPopup1:CreateFontString("StaticPopup1Text")
function StaticPopup_Show(which, text1)
	local info = StaticPopupDialogs[which]
	if not info then return nil end
	StaticPopup1.which = which
	StaticPopup1Text:SetText(format(info.text, text1 or ""))
	StaticPopup1:Show()
	if info.OnShow then info.OnShow(StaticPopup1) end
	return StaticPopup1
end
function StaticPopup_Hide(which)
	if StaticPopup1.which == which then StaticPopup1.which = nil; StaticPopup1:Hide() end
end
function StaticPopup_Visible(which)
	if StaticPopup1:IsShown() and StaticPopup1.which == which then return "StaticPopup1" end
end
StaticPopup1Button1:SetScript("OnClick", function()
	local info = StaticPopupDialogs[StaticPopup1.which or ""]
	StaticPopup1.which = nil
	StaticPopup1:Hide()
	if info and info.OnAccept then info.OnAccept(StaticPopup1) end
end)
StaticPopup1Button2:SetScript("OnClick", function()
	local info = StaticPopupDialogs[StaticPopup1.which or ""]
	StaticPopup1.which = nil
	StaticPopup1:Hide()
	if info and info.OnCancel then info.OnCancel(StaticPopup1) end
end)
StaticPopup1:SetScript("OnHide", function(self)
	-- escape or walking away: the dialog's OnCancel (hideOnEscape)
	local info = StaticPopupDialogs[self.which or ""]
	self.which = nil
	if info and info.OnCancel then info.OnCancel(self) end
end)

-- The Who panel: its WHO_LIST_UPDATE handler refreshes the list, it does not open the
-- panel (FrameXML/FriendsFrame.lua:1226-1228); the Who tab sets SetWhoToUI(1) while shown
-- (FriendsFrame.xml:2635-2643).
FriendsFrame = CreateFrame("Frame", "FriendsFrame", UIParent)
FriendsFrame:Hide()
FriendsFrame:RegisterEvent("WHO_LIST_UPDATE")
FriendsFrame:SetScript("OnEvent", function(self, event)
	if event == "WHO_LIST_UPDATE" then self.whoUpdates = (self.whoUpdates or 0) + 1 end
end)
FriendsFrame:SetScript("OnShow", function() SetWhoToUI(1) end)
FriendsFrame:SetScript("OnHide", function() SetWhoToUI(0) end)

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
-- FrameXML/MailFrame.xml:859 (letters="12"), :974 (letters="64"), :819 (letters="500",
-- multiLine="true"); all autoFocus="false".
SendMailNameEditBox:SetAutoFocus(false)
SendMailNameEditBox:SetMaxLetters(12)
SendMailSubjectEditBox:SetAutoFocus(false)
SendMailSubjectEditBox:SetMaxLetters(64)
SendMailBodyEditBox:SetAutoFocus(false)
SendMailBodyEditBox:SetMaxLetters(500)
SendMailBodyEditBox:SetMultiLine(true)
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

-- Opening the Send tab focuses the recipient box (FrameXML/MailFrame.xml:1229-1238).
SendMailFrame:SetScript("OnShow", function() SendMailFrame_CanSend(); SendMailNameEditBox:SetFocus() end)

-- Enter in the recipient box moves to the subject (MailFrame.xml:928-932), in the subject
-- to the body (:1033-1035); the body is multi-line without OnEnterPressed, so Enter there
-- is a line break. Escape clears the focus (EditBox_ClearFocus). The name and subject
-- boxes re-check the Send button on every change (:938-941, :1037).
SendMailNameEditBox:SetScript("OnEnterPressed", function() SendMailSubjectEditBox:SetFocus() end)
SendMailSubjectEditBox:SetScript("OnEnterPressed", function() SendMailBodyEditBox:SetFocus() end)
for _, box in ipairs({ SendMailNameEditBox, SendMailSubjectEditBox, SendMailBodyEditBox }) do
	box:SetScript("OnEscapePressed", EditBox_ClearFocus)
end
SendMailNameEditBox:SetScript("OnTextChanged", function(self) SendMailFrame_CanSend(self) end)
SendMailSubjectEditBox:SetScript("OnTextChanged", function(self) SendMailFrame_CanSend(self) end)

-- SendMailFrame_Reset (FrameXML/MailFrame.lua:946-958): after a successful send the
-- recipient box is emptied and focused again.
function SendMailFrame_Reset()
	SendMailNameEditBox:SetText("")
	SendMailNameEditBox:SetFocus()
	SendMailSubjectEditBox:SetText("")
	SendMailBodyEditBox:SetText("")
	MoneyInputFrame_ResetMoney(SendMailMoney)
	SendMailSendMoneyButton:SetChecked(1)
	SendMailCODButton:SetChecked(nil)
	SendMailFrame_CanSend()
end

-- SendMailFrame_CanSend (MailFrame.lua:959-995): Send is enabled with a recipient and a
-- subject (the stationery check is always met here).
function SendMailFrame_CanSend()
	if strlen(SendMailNameEditBox:GetText()) > 0 and strlen(SendMailSubjectEditBox:GetText()) > 0 then
		SendMailMailButton:Enable()
	else
		SendMailMailButton:Disable()
	end
end

-- SendMailMailButton_OnClick (MailFrame.lua:789-808, SendMailFrame_SendMail :810-812): the
-- button disables itself until the server answers (MAIL_FAILED enables it,
-- MailFrame.lua:72-73; MAIL_SEND_SUCCESS resets the form, :65-66); money to send asks
-- first (the SEND_MONEY popup, FrameXML/StaticPopup.lua:834-852), and only its Accept
-- calls SetSendMailMoney and SendMail.
function SendMailMailButton_OnClick(self)
	self:Disable()
	local copper = MoneyInputFrame_GetCopper(SendMailMoney)
	SetSendMailCOD(0)
	SetSendMailMoney(0)
	if SendMailSendMoneyButton:GetChecked() then
		if copper > 0 then
			StaticPopup_Show("SEND_MONEY", SendMailNameEditBox:GetText())
			return
		end
	else
		if copper > 0 then SetSendMailCOD(copper) end
	end
	SendMailFrame_SendMail()
end

function SendMailFrame_SendMail()
	SendMail(SendMailNameEditBox:GetText(), SendMailSubjectEditBox:GetText(), SendMailBodyEditBox:GetText())
end

StaticPopupDialogs["SEND_MONEY"] = {
	text = SEND_MONEY_CONFIRMATION,
	OnAccept = function()
		if SetSendMailMoney(MoneyInputFrame_GetCopper(SendMailMoney)) then
			SendMailFrame_SendMail()
		end
	end,
	OnCancel = function() SendMailMailButton:Enable() end,
}

SendMailMailButton:SetScript("OnClick", function(self) SendMailMailButton_OnClick(self) end)
SendMailCancelButton:SetScript("OnClick", function() HideUIPanel(MailFrame) end)

MailFrame:RegisterEvent("MAIL_SHOW")
MailFrame:RegisterEvent("MAIL_CLOSED")
MailFrame:RegisterEvent("MAIL_SEND_SUCCESS")
MailFrame:RegisterEvent("MAIL_FAILED")
MailFrame:SetScript("OnEvent", function(self, event)
	if event == "MAIL_SHOW" then
		ShowUIPanel(MailFrame)
		SendMailFrame_CanSend()
		MailFrameTab_OnClick(nil, 1)
	elseif event == "MAIL_CLOSED" then
		HideUIPanel(MailFrame)
		StaticPopup_Hide("SEND_MONEY")
	elseif event == "MAIL_SEND_SUCCESS" then
		SendMailFrame_Reset()
	elseif event == "MAIL_FAILED" then
		SendMailMailButton:Enable()
	end
end)
