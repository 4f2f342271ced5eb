-- Mimiron's Gold-o-Matic: queue panel (beside the mailbox), toast, minimap button.
local M = MimironsGoldOMatic

local UI = { rows = {}, autoShown = false }
M.UI = UI

local ROWS = 8
local HEIGHT = 70 + ROWS * 16
local CHECK_HEIGHT = 80 -- the "sent?" notice and its two buttons
UI.CHECK_TEXT = "sent? — check your gold (or bags) / the recipient's mailbox"

function UI.Init()
	if UI.panel then return end
	local p = CreateFrame("Frame", "MGM_Panel", UIParent)
	p:SetWidth(300)
	p:SetHeight(HEIGHT)
	p:SetPoint("CENTER", UIParent, "CENTER", 0, 0)
	p:SetFrameStrata("DIALOG")
	p:SetBackdrop({
		bgFile = "Interface\\DialogFrame\\UI-DialogBox-Background",
		edgeFile = "Interface\\DialogFrame\\UI-DialogBox-Border",
		tile = true, tileSize = 32, edgeSize = 16,
		insets = { left = 4, right = 4, top = 4, bottom = 4 },
	})
	p:EnableMouse(true)
	p:SetMovable(true)
	p:RegisterForDrag("LeftButton")
	p:SetScript("OnDragStart", function(self) self:StartMoving() end)
	p:SetScript("OnDragStop", function(self) self:StopMovingOrSizing() end)
	p:Hide()
	UI.panel = p

	local title = p:CreateFontString("MGM_PanelTitle", "ARTWORK", "GameFontNormal")
	title:SetPoint("TOP", p, "TOP", 0, -10)
	title:SetText("Mimiron's Gold-o-Matic")

	UI.status = p:CreateFontString("MGM_PanelStatus", "ARTWORK", "GameFontHighlightSmall")
	UI.status:SetPoint("TOPLEFT", p, "TOPLEFT", 12, -28)

	for i = 1, ROWS do
		local row = p:CreateFontString("MGM_PanelRow" .. i, "ARTWORK", "GameFontHighlightSmall")
		row:SetPoint("TOPLEFT", p, "TOPLEFT", 12, -30 - i * 16)
		row:SetJustifyH("LEFT")
		UI.rows[i] = row
	end

	local prepare = CreateFrame("Button", "MGM_PrepareMailButton", p, "UIPanelButtonTemplate")
	prepare:SetWidth(120)
	prepare:SetHeight(22)
	prepare:SetPoint("BOTTOMLEFT", p, "BOTTOMLEFT", 10, 10)
	prepare:SetText("Prepare Mail")
	prepare:SetScript("OnClick", function() M.Mail.Prepare() end)
	UI.prepare = prepare

	local skip = CreateFrame("Button", "MGM_SkipButton", p, "UIPanelButtonTemplate")
	skip:SetWidth(60)
	skip:SetHeight(22)
	skip:SetPoint("LEFT", prepare, "RIGHT", 6, 0)
	skip:SetText("Skip")
	skip:SetScript("OnClick", function() M.Mail.Skip() end)

	-- an unconfirmed mail (Send pressed, the answer lost to a /reload or disconnect):
	-- the streamer says whether it went out
	local check = p:CreateFontString("MGM_PanelCheck", "ARTWORK", "GameFontNormalSmall")
	check:SetPoint("BOTTOMLEFT", p, "BOTTOMLEFT", 12, 64)
	check:SetWidth(276)
	check:SetJustifyH("LEFT")
	UI.check = check

	local sent = CreateFrame("Button", "MGM_SentButton", p, "UIPanelButtonTemplate")
	sent:SetWidth(110)
	sent:SetHeight(22)
	sent:SetPoint("BOTTOMLEFT", p, "BOTTOMLEFT", 10, 36)
	sent:SetText("It was sent")
	sent:SetScript("OnClick", function() if UI.checkId then M.Mail.MarkSent(UI.checkId) end end)
	UI.sent = sent

	local retry = CreateFrame("Button", "MGM_RetryButton", p, "UIPanelButtonTemplate")
	retry:SetWidth(140)
	retry:SetHeight(22)
	retry:SetPoint("LEFT", sent, "RIGHT", 6, 0)
	retry:SetText("Not sent — retry")
	retry:SetScript("OnClick", function() if UI.checkId then M.Mail.Retry(UI.checkId) end end)
	UI.retry = retry

	local close = CreateFrame("Button", "MGM_PanelCloseButton", p, "UIPanelCloseButton")
	close:SetPoint("TOPRIGHT", p, "TOPRIGHT", -2, -2)
	close:SetScript("OnClick", function() p:Hide() end)

	local t = CreateFrame("Frame", "MGM_Toast", UIParent)
	t:SetWidth(360)
	t:SetHeight(40)
	t:SetPoint("TOP", UIParent, "TOP", 0, -140)
	t:SetFrameStrata("HIGH")
	t:Hide()
	t.text = t:CreateFontString("MGM_ToastText", "OVERLAY", "GameFontNormalLarge")
	t.text:SetPoint("CENTER", t, "CENTER", 0, 0)
	t:SetScript("OnUpdate", function(self, elapsed)
		self.left = (self.left or 0) - elapsed
		if self.left <= 0 then self:Hide() end
	end)
	UI.toast = t

	UI.InitMinimap()
	UI.Refresh()
end

function UI.Toast(text)
	if not UI.toast then return end
	UI.toast.text:SetText(text)
	UI.toast.left = 5
	UI.toast:Show()
	PlaySound("LEVELUPSOUND")
end

function UI.Toggle()
	if not UI.panel then return end
	if UI.panel:IsShown() then
		UI.panel:Hide()
	else
		UI.autoShown = false
		UI.Refresh()
		UI.panel:Show()
	end
end

function UI.OnMailShow()
	if not UI.panel then return end
	UI.panel:ClearAllPoints()
	UI.panel:SetPoint("TOPLEFT", MailFrame, "TOPRIGHT", -30, -12)
	if not UI.panel:IsShown() then
		UI.autoShown = true
		UI.panel:Show()
	end
	UI.Refresh()
end

function UI.OnMailClosed()
	if not UI.panel then return end
	if UI.autoShown then UI.panel:Hide() end
	UI.autoShown = false
	UI.panel:ClearAllPoints()
	UI.panel:SetPoint("CENTER", UIParent, "CENTER", 0, 0)
	UI.Refresh()
end

local function stateText(e)
	local s = M.Mail.State(e)
	if s == "unconfirmed" then return "|cffff4040sent?|r" end
	return s
end

-- refreshCheck shows the first unconfirmed mail with its two buttons, or hides them.
local function refreshCheck()
	local e = M.Mail.Unconfirmed()[1]
	UI.checkId = e and e.id
	if not e then
		UI.check:SetText("")
		UI.check:Hide()
		UI.sent:Hide()
		UI.retry:Hide()
		UI.panel:SetHeight(HEIGHT)
		return
	end
	local text = M.Safe(e.name) .. "  " .. M.Safe(M.Mail.Describe(e)) .. ": " .. UI.CHECK_TEXT
	if e.kind == "gold" and tonumber(e.moneyAtSend) then
		text = text .. " (your gold at Send: " .. M.Money(e.moneyAtSend) .. ", now: " .. M.Money(GetMoney()) .. ")"
	end
	UI.check:SetText(text)
	UI.check:Show()
	UI.sent:Show()
	UI.retry:Show()
	UI.panel:SetHeight(HEIGHT + CHECK_HEIGHT)
end

function UI.Refresh()
	if not UI.panel or not MGM_DB then return end
	local q = MGM_DB.queue
	UI.status:SetText(string.format("Queue %d · consent %d gold / %d gift · emit %s",
		#q, M.Count(MGM_DB.pending), M.Count(MGM_DB.gifts), MGM_DB.emit))
	for i = 1, ROWS do
		local e = q[i]
		if e then
			UI.rows[i]:SetText(string.format("%d. %s  %s  (%s)", i, M.Safe(e.name), M.Safe(M.Mail.Describe(e)), stateText(e)))
		else
			UI.rows[i]:SetText(i == 1 and "Nothing to send." or "")
		end
	end
	refreshCheck()
	if M.Mail.Next() and MailFrame and MailFrame:IsVisible() and not M.Mail.inflight then
		UI.prepare:Enable()
	else
		UI.prepare:Disable()
	end
end

function UI.InitMinimap()
	local b = CreateFrame("Button", "MGM_MinimapButton", Minimap)
	b:SetWidth(31)
	b:SetHeight(31)
	b:SetFrameStrata("MEDIUM")
	b:SetFrameLevel(8)
	b:RegisterForClicks("LeftButtonUp", "RightButtonUp")
	b:RegisterForDrag("LeftButton")
	b:SetHighlightTexture("Interface\\Minimap\\UI-Minimap-ZoomButton-Highlight")
	local icon = b:CreateTexture(nil, "BACKGROUND")
	icon:SetTexture("Interface\\Icons\\INV_Misc_Coin_01")
	icon:SetWidth(20)
	icon:SetHeight(20)
	icon:SetPoint("CENTER", b, "CENTER", 0, 1)
	local border = b:CreateTexture(nil, "OVERLAY")
	border:SetTexture("Interface\\Minimap\\MiniMap-TrackingBorder")
	border:SetWidth(53)
	border:SetHeight(53)
	border:SetPoint("TOPLEFT", b, "TOPLEFT", 0, 0)
	b:SetScript("OnClick", function(self, button)
		if button == "RightButton" then M.PrintStatus() else UI.Toggle() end
	end)
	b:SetScript("OnEnter", function(self)
		GameTooltip:SetOwner(self, "ANCHOR_LEFT")
		GameTooltip:SetText("Mimiron's Gold-o-Matic")
		GameTooltip:AddLine("Left-click: queue panel. Right-click: status. Drag: move.")
		GameTooltip:Show()
	end)
	b:SetScript("OnLeave", function() GameTooltip:Hide() end)
	b:SetScript("OnDragStart", function(self)
		self:SetScript("OnUpdate", function()
			local mx, my = Minimap:GetCenter()
			local px, py = GetCursorPosition()
			local s = Minimap:GetEffectiveScale()
			MGM_DB.minimap.angle = math.deg(math.atan2(py / s - my, px / s - mx))
			UI.PlaceMinimap()
		end)
	end)
	b:SetScript("OnDragStop", function(self) self:SetScript("OnUpdate", nil) end)
	UI.minimap = b
	UI.PlaceMinimap()
end

function UI.PlaceMinimap()
	local a = math.rad(tonumber(MGM_DB.minimap.angle) or 215)
	UI.minimap:ClearAllPoints()
	UI.minimap:SetPoint("CENTER", Minimap, "CENTER", 80 * math.cos(a), 80 * math.sin(a))
end
