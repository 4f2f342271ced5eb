-- Mimiron's Gold-o-Matic: the mail queue (gold payouts and gifts).
--
-- Entries live in MGM_DB.queue (survive /reload). At a mailbox, Prepare Mail fills the
-- send form for the head entry and ARMS it; a gift of N items gets as many stacks as add
-- up to exactly N (Gift.lua, G.Choose), one per attachment slot. Our SendMail hook moves
-- the armed entry into flight only if the form still goes to that recipient with that
-- money (or the gift: that item only, N in all), not C.O.D.; MAIL_SEND_SUCCESS for the entry
-- in flight is the only thing that prints [MGM_CONFIRM:<id>] / [MGM_GIFT_SENT:<id>].
-- Mail the streamer sends by hand is never armed, so it never prints a tag.
-- MAIL_FAILED and closing the mailbox disarm and leave the entry queued and ready.
--
-- The hook also marks the entry state = "unconfirmed" in MGM_DB.queue, which the client
-- writes at /reload and logout. MAIL_SEND_SUCCESS removes the entry and MAIL_FAILED clears
-- the mark, but the server's answer never reaches a UI that reloaded or disconnected
-- after Send: such an entry comes back "unconfirmed". Prepare Mail leaves it alone; the
-- streamer checks and says "It was sent" (Q.MarkSent: the tag and whisper a confirmed
-- send gives) or "Not sent — retry" (Q.Retry: ready again).
--
-- Mail.lua stays whole (about 460 lines): the armed form, the send's answers and the
-- streamer's check all move the same entries through the same file-local helpers
-- (complete, clearMark, lateEntry), which a second file could reach only through M.
local M = MimironsGoldOMatic

local Q = { armed = nil, inflight = nil, late = nil }
M.Mail = Q

-- A server may refuse a mail without any answer (no MAIL_SEND_SUCCESS, no MAIL_FAILED:
-- AzerothCore's HandleSendMail simply returns for some mails). After ANSWER_TIMEOUT
-- seconds the mail in flight is given up: its entry stays "sent?" for the streamer to
-- check (It was sent / Not sent — retry), and is never prepared again by itself. An
-- answer that still comes later settles it.
Q.ANSWER_TIMEOUT = 20

Q.MAX_COPPER = 2147483647 -- the 3.3.5a gold cap
Q.POSTAGE = 30 -- copper per mail without attachments
Q.GOLD_SUBJECT = "Награда за розыгрыш"
Q.GIFT_SUBJECT = "Подарок от стримера"

function Q.Find(id)
	for i, e in ipairs(MGM_DB.queue) do
		if e.id == id then return e, i end
	end
end

-- State: "sending" (in flight in this session), "unconfirmed" (sent before a /reload or
-- disconnect; the server's answer was never seen), "armed" or "ready".
function Q.State(e)
	if Q.inflight and Q.inflight.id == e.id then return "sending" end
	if e.state == "unconfirmed" then return "unconfirmed" end
	if Q.armed and Q.armed.id == e.id then return "armed" end
	return "ready"
end

-- Next is the entry Prepare Mail and Skip act on: the first one not waiting for a check.
function Q.Next()
	for i, e in ipairs(MGM_DB.queue) do
		if e.state ~= "unconfirmed" then return e, i end
	end
end

-- Unconfirmed lists the entries waiting for the streamer's check, in queue order.
function Q.Unconfirmed()
	local list = {}
	for _, e in ipairs(MGM_DB.queue) do
		if Q.State(e) == "unconfirmed" then list[#list + 1] = e end
	end
	return list
end

function Q.Describe(e)
	if e.kind == "gold" then return M.Money(e.copper) end
	local item = "[" .. (e.itemName or ("item " .. tostring(e.itemId))) .. "]"
	if e.count and e.count > 1 then item = item .. " ×" .. e.count end
	return item
end

-- checkGold validates one "<id>:<Name>:<copper>" entry.
local function checkGold(entry)
	local id, name, copper = entry:match("^([^:]*):([^:]*):([^:]*)$")
	if not id then return nil, "expected <id>:<Name>:<copper>" end
	id, name, copper = M.Trim(id), M.Trim(name), M.Trim(copper)
	if not M.ValidId(id) then return nil, "bad id" end
	if not M.ValidName(name) then return nil, "bad character name" end
	if not copper:match("^%d+$") or #copper > 10 then return nil, "bad copper amount" end
	local n = tonumber(copper)
	if n < 1 or n > Q.MAX_COPPER then return nil, "copper out of range" end
	return { id = id, name = name, kind = "gold", copper = n }
end

-- ReceiveGold("<id>:<Name>:<copper>;...") queues payouts. Bad entries are skipped with a
-- message; an id already queued is skipped; an id already sent re-prints its
-- [MGM_CONFIRM:<id>] instead of paying twice.
function ReceiveGold(spec)
	spec = tostring(spec or "")
	local added, queued = 0, {}
	for _, e in ipairs(MGM_DB.queue) do queued[e.id] = true end
	for entry in (spec .. ";"):gmatch("([^;]*);") do
		entry = M.Trim(entry)
		if entry ~= "" then
			local e, why = checkGold(entry)
			if not e then
				M.Print("ReceiveGold: skipped \"" .. M.Safe(entry) .. "\": " .. why)
			elseif queued[e.id] then
				M.Print("ReceiveGold: " .. e.id .. " is already queued")
			elseif MGM_DB.sent[e.id] then
				M.Print("ReceiveGold: " .. e.id .. " was already sent")
				M.Emit("[MGM_CONFIRM:" .. e.id .. "]")
			else
				e.at = time()
				queued[e.id] = true
				MGM_DB.queue[#MGM_DB.queue + 1] = e
				added = added + 1
			end
		end
	end
	if added > 0 then
		M.Print(string.format("%d payout(s) queued; %d waiting. Open a mailbox and press Prepare Mail.", added, #MGM_DB.queue))
	end
	M.UI.Refresh()
	return added
end
MGM_ReceiveGold = ReceiveGold

-- AddGift queues a gift mail of count x itemId (count nil: one stack, as an older
-- Desktop asked).
function Q.AddGift(id, name, itemId, count, quiet)
	if Q.Find(id) then
		if not quiet then M.Print("gift " .. id .. " is already queued") end
		return
	end
	if MGM_DB.sent[id] then
		M.Emit("[MGM_GIFT_SENT:" .. id .. "]")
		return
	end
	local itemName = GetItemInfo(itemId)
	MGM_DB.queue[#MGM_DB.queue + 1] = { id = id, name = name, kind = "gift", itemId = itemId, count = count, itemName = itemName, at = time() }
	M.Print("gift for " .. M.Safe(name) .. " queued; open a mailbox and press Prepare Mail.")
	M.UI.Refresh()
end

function Q.Disarm(reason)
	if Q.armed then
		M.Debug("disarmed: " .. reason)
		Q.armed = nil
	end
end

-- ReleaseFocus takes the keyboard focus from the send form's boxes, and only from them:
-- FrameXML focuses the recipient box when the Send tab opens and again after every sent
-- mail (FrameXML/MailFrame.xml:1237, MailFrame.lua:948), and keys typed then (the
-- Desktop's commands) would land in the form instead of reaching the game.
function Q.ReleaseFocus()
	for _, b in ipairs({ SendMailNameEditBox, SendMailSubjectEditBox, SendMailBodyEditBox }) do
		if b and b.HasFocus and b:HasFocus() then b:ClearFocus() end
	end
end

-- Prepare fills the send form for the first entry that is not waiting for a check and
-- arms it, then gives the keyboard focus back.
function Q.Prepare()
	Q.PrepareForm()
	Q.ReleaseFocus()
end

function Q.PrepareForm()
	if not MGM_DB.queue[1] then
		M.Print("the queue is empty")
		return
	end
	if not MailFrame or not MailFrame:IsVisible() then
		M.Print("open a mailbox first")
		return
	end
	if Q.inflight then
		M.Print("wait for the last mail to go through")
		return
	end
	Q.armed = nil
	local e = Q.Next()
	if not e then
		M.Print("every queued mail may already have gone out: check, then press It was sent or Not sent — retry (or /mgm sent|retry <id>)")
		M.UI.Refresh()
		return
	end
	local total = 0 -- gift items attached
	if e.kind == "gold" and GetMoney() < e.copper + Q.POSTAGE then
		M.Print("not enough gold for " .. M.Money(e.copper) .. " to " .. M.Safe(e.name) .. " (you have " .. M.Money(GetMoney()) .. ")")
		return
	end
	MailFrameTab_OnClick(nil, 2)
	ClearCursor()
	-- empty every attachment slot: an item left there by hand would ride along
	for i = 1, ATTACHMENTS_MAX_SEND or 12 do ClickSendMailItemButton(i, true) end
	SendMailNameEditBox:SetText(e.name)
	SendMailBodyEditBox:SetText("")
	SendMailSendMoneyButton:SetChecked(1)
	SendMailCODButton:SetChecked(nil)
	if e.kind == "gold" then
		SendMailSubjectEditBox:SetText(Q.GOLD_SUBJECT)
		MoneyInputFrame_SetCopper(SendMailMoney, e.copper)
	else
		SendMailSubjectEditBox:SetText(Q.GIFT_SUBJECT)
		MoneyInputFrame_SetCopper(SendMailMoney, 0)
		local stacks, why = M.Gift.Choose(e, ATTACHMENTS_MAX_SEND or 12)
		if not stacks then
			M.Print(why)
			return
		end
		if GetMoney() < Q.POSTAGE * #stacks then
			M.Print("not enough money for the postage (" .. M.Money(Q.POSTAGE * #stacks) .. ")")
			return
		end
		for i, st in ipairs(stacks) do
			PickupContainerItem(st.bag, st.slot)
			ClickSendMailItemButton(i)
			local _, _, count = GetSendMailItem(i)
			if count ~= st.count then
				ClearCursor()
				for k = 1, i do ClickSendMailItemButton(k, true) end
				M.Print("could not attach the gift item (stack " .. i .. " of " .. #stacks .. ")")
				return
			end
			total = total + count
		end
	end
	Q.armed = { id = e.id, key = M.NameKey(e.name), kind = e.kind, copper = e.copper, itemId = e.itemId, count = total }
	M.Print("mail to " .. M.Safe(e.name) .. " is ready: press Send")
	M.UI.Refresh()
end

-- Skip moves the entry Prepare Mail would take to the end of the queue.
function Q.Skip()
	local _, i = Q.Next()
	if Q.inflight or not i or i == #MGM_DB.queue then return end
	Q.Disarm("skip")
	table.insert(MGM_DB.queue, table.remove(MGM_DB.queue, i))
	M.UI.Refresh()
end

-- FormMatches tells whether the send form still carries what Prepare Mail put in it for
-- the armed entry a: the payout's money (not C.O.D.), or the gift — only stacks of its
-- item, a.count in all over however many attachment slots. Our hook runs after
-- SendMail; the money field is only reset on MAIL_SEND_SUCCESS, but whether the client
-- still lists the attachments at that point is not certain, so a form with no
-- attachment left is given the benefit of the doubt; another item, or another count of
-- the gift item, disarms.
function Q.FormMatches(a)
	if not SendMailSendMoneyButton:GetChecked() then return false end
	if a.kind == "gold" then
		return MoneyInputFrame_GetCopper(SendMailMoney) == a.copper
	end
	local any, total = false, 0
	for i = 1, ATTACHMENTS_MAX_SEND or 12 do
		local link = GetSendMailItemLink(i)
		if link then
			if tonumber(link:match("item:(%d+)")) ~= a.itemId then return false end
			local _, _, count = GetSendMailItem(i)
			any, total = true, total + (tonumber(count) or 1)
		end
	end
	return not any or total == a.count
end

function Q.OnSendMail(recipient)
	local a = Q.armed
	Q.armed = nil
	if not a then return end -- a mail the streamer wrote by hand
	if M.NameKey(recipient) ~= a.key then
		M.Print("the recipient was changed; this mail is not tracked")
		return
	end
	if not Q.FormMatches(a) then
		M.Print((a.kind == "gold" and "the amount" or "the attached item") .. " was changed; this mail is not tracked")
		return
	end
	local e = Q.Find(a.id)
	if e then
		-- saved with MGM_DB at /reload or logout: if the server's answer is lost with the
		-- UI, the entry comes back "unconfirmed" instead of ready to be paid again
		e.state, e.sentAt, e.moneyAtSend = "unconfirmed", time(), GetMoney()
		Q.inflight = { id = a.id, sentAt = GetTime() }
	end
	M.UI.Refresh()
end

-- CancelGift drops a gift (MGM_CancelGift, typed by the Desktop when the request
-- failed): its pending consent and its queued mail, disarming it when it is armed. A mail
-- already sent and waiting for the server's answer cannot be called back: it is left to
-- report itself. Idempotent.
function Q.CancelGift(id)
	local rec = MGM_DB.gifts[id]
	MGM_DB.gifts[id] = nil
	local e, i = Q.Find(id)
	if e and e.kind ~= "gift" then e = nil end
	local name = M.Safe((e and e.name) or (rec and rec.name) or "?")
	if e then
		local state = Q.State(e)
		if state == "sending" then
			M.Print("the gift to " .. name .. " was cancelled, but it is already on its way (Send was pressed)")
			M.UI.Refresh()
			return
		end
		if state == "armed" then
			Q.armed = nil
			if MailFrame and MailFrame:IsVisible() then
				for k = 1, ATTACHMENTS_MAX_SEND or 12 do ClickSendMailItemButton(k, true) end
			end
		end
		table.remove(MGM_DB.queue, i)
		local note = state == "unconfirmed" and " (it was marked sent?: if it did go out, it cannot be called back)" or ""
		M.Print("gift to " .. name .. " " .. M.Safe(Q.Describe(e)) .. " dropped from the mail queue: its request was cancelled — do not send it" .. note)
	elseif rec then
		M.Print("gift to " .. name .. " cancelled: a later !twgift from them is ignored")
	else
		M.Debug("MGM_CancelGift: nothing queued for " .. id)
	end
	M.UI.Refresh()
end

local function clearMark(e)
	e.state, e.sentAt, e.moneyAtSend = nil, nil, nil
end

-- complete removes a sent entry and reports it: the tag, the whisper, the toast.
local function complete(e, i)
	table.remove(MGM_DB.queue, i)
	MGM_DB.sent[e.id] = { at = time(), kind = e.kind }
	if e.kind == "gold" then
		MGM_DB.pending[e.id] = nil
		M.Emit("[MGM_CONFIRM:" .. e.id .. "]")
	else
		MGM_DB.gifts[e.id] = nil
		M.Emit("[MGM_GIFT_SENT:" .. e.id .. "]")
	end
	M.Chat.Send(e.kind == "gold" and M.SENT_WHISPER or M.GIFT_SENT_WHISPER, "WHISPER", e.name)
	M.UI.Toast((e.kind == "gold" and M.Money(e.copper) or "Gift") .. " sent to " .. e.name)
	M.UI.Refresh()
end

-- lateEntry is the entry whose mail timed out, while it still waits for a check.
local function lateEntry()
	if not Q.late then return end
	local e, i = Q.Find(Q.late)
	Q.late = nil
	if e and e.state == "unconfirmed" then return e, i end
end

function Q.OnSendSuccess()
	local f = Q.inflight
	Q.inflight = nil
	if not f then
		local e, i = lateEntry()
		if e then
			M.Print("the server confirmed the mail to " .. M.Safe(e.name) .. " after all")
			complete(e, i)
		end
		return
	end
	Q.late = nil
	local e, i = Q.Find(f.id)
	if not e then return end
	complete(e, i)
end

function Q.OnSendFailed()
	if Q.inflight then
		local e = Q.Find(Q.inflight.id)
		if e then clearMark(e) end
		M.Print("the mail failed; the entry stays queued. Press Prepare Mail to try again.")
	else
		local e = lateEntry()
		if e then
			clearMark(e)
			M.Print("the server refused the mail to " .. M.Safe(e.name) .. " after all; it is ready again")
		end
	end
	Q.inflight = nil
	Q.Disarm("mail failed")
	M.UI.Refresh()
end

-- OnUpdate gives up on a mail the server never answered (see ANSWER_TIMEOUT).
function Q.OnUpdate()
	local f = Q.inflight
	if not f or GetTime() - f.sentAt < Q.ANSWER_TIMEOUT then return end
	Q.inflight, Q.late = nil, f.id
	local e = Q.Find(f.id)
	if e then
		M.Print("|cffff4040no answer from the server for the mail to " .. M.Safe(e.name) .. "|r: it may or may not have gone out. "
			.. "It is marked sent? and will not be sent again by itself: check your gold (or bags), then press It was sent or Not sent — retry.")
	end
	M.UI.Refresh()
end

function Q.OnMailClosed()
	Q.Disarm("mailbox closed")
	M.UI.Refresh()
end

-- Resolve finds the unconfirmed entry for a full id or a unique prefix of at least 4
-- characters (case-insensitive), or prints why not.
function Q.Resolve(id)
	id = M.Fold(M.Trim(id))
	if id == "" then
		if not Q.ReportUnconfirmed() then M.Print("no mail is waiting for a check") end
		return
	end
	local hits = {}
	for _, e in ipairs(MGM_DB.queue) do
		local key = M.Fold(e.id)
		if key == id then
			hits = { e }
			break
		end
		if #id >= 4 and key:sub(1, #id) == id and Q.State(e) == "unconfirmed" then hits[#hits + 1] = e end
	end
	local e = hits[1]
	if #hits > 1 then
		M.Print("\"" .. M.Safe(id) .. "\" fits several mails; type more of the id")
	elseif not e then
		M.Print("no queued mail has the id \"" .. M.Safe(id) .. "\"")
	elseif Q.State(e) == "sending" then
		M.Print("the mail to " .. M.Safe(e.name) .. " is still waiting for the server's answer")
	elseif Q.State(e) ~= "unconfirmed" then
		M.Print("the mail to " .. M.Safe(e.name) .. " (" .. e.id .. ") was never sent; nothing to check")
	else
		return e
	end
end

-- MarkSent is "It was sent": the streamer checked that the unconfirmed mail went out, so
-- it is reported like a confirmed send.
function Q.MarkSent(id)
	local e = Q.Resolve(id)
	if not e then return end
	local _, i = Q.Find(e.id)
	M.Print("the mail to " .. M.Safe(e.name) .. " counts as sent")
	complete(e, i)
end

-- Retry is "Not sent — retry": the unconfirmed mail did not go out; it is ready again.
function Q.Retry(id)
	local e = Q.Resolve(id)
	if not e then return end
	clearMark(e)
	M.Print("the mail to " .. M.Safe(e.name) .. " is ready again: press Prepare Mail to send it")
	M.UI.Refresh()
end

-- ReportUnconfirmed lists the unconfirmed entries in chat (at login and for "/mgm sent").
function Q.ReportUnconfirmed()
	local list = Q.Unconfirmed()
	if #list == 0 then return false end
	M.Print("|cffff4040" .. #list .. " mail(s) may have gone out without a confirmation|r (Send was pressed, then the UI reloaded or disconnected, or the server never answered). Prepare Mail will not send them again until you check:")
	for _, e in ipairs(list) do
		M.Print("  " .. M.Safe(e.name) .. "  " .. M.Safe(Q.Describe(e)) .. "  id " .. e.id)
	end
	M.Print("Check your gold (or bags) or ask the recipient, then press It was sent or Not sent — retry in the queue panel (/mgm), or type /mgm sent <id> or /mgm retry <id>.")
	return true
end

hooksecurefunc("SendMail", function(recipient) Q.OnSendMail(recipient) end)
if SendMailFrame_Reset then hooksecurefunc("SendMailFrame_Reset", Q.ReleaseFocus) end
