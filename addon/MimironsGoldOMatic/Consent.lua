-- Mimiron's Gold-o-Matic: winner and gift consent over whispers.
--
-- Every pending acceptance is kept in MGM_DB (by payout / gift id), so any number of
-- winners can be waiting at once and /reload loses none. A "!twgold" from a winner
-- emits [MGM_ACCEPT:<id>] for EVERY payout of that winner (oldest first): the backend
-- treats a repeated acceptance as a no-op, so emitting all of them can never lose one.
-- The record stays (marked accepted) until the mail is sent, so a repeated "!twgold"
-- emits again (useful if the Desktop missed the first line). "!twgift" works the same
-- for gifts, independently of any gold consent.
local M = MimironsGoldOMatic

M.GOLD_WHISPER = "Поздравляю, ты победил в розыгрыше! Дай мне своё согласие на получение награды - ответь на это сообщение одной фразой: !twgold"
M.SENT_WHISPER = "Награда отправлена тебе на почту, проверяй ящик!"
-- Mail with an item to a character of another account arrives up to an hour later on a
-- 3.3.5a server (docs/product.md §8), so the gift whispers say so.
M.GIFT_WHISPER = "Тебе выпал подарок%s! Письмо с ним идёт до часа. Дай согласие на получение - ответь одной фразой: !twgift"
M.GIFT_SENT_WHISPER = "Подарок отправлен тебе на почту! Письмо с вещью идёт до часа - загляни в ящик чуть позже."

local function whisper(text, name)
	M.Chat.Send(text, "WHISPER", name)
end

-- NotifyWinnerWhisper(payoutId, name) whispers the winner the consent text and remembers
-- the payout until the winner answers "!twgold".
function NotifyWinnerWhisper(payoutId, name)
	payoutId = tostring(payoutId or "")
	name = M.Trim(M.StripRealm(M.Trim(name)))
	if not M.ValidId(payoutId) or not M.ValidName(name) then
		M.Print("NotifyWinnerWhisper: bad payout id or name")
		return
	end
	local rec = MGM_DB.pending[payoutId]
	if not rec then
		rec = { at = time(), seq = M.NextSeq() }
		MGM_DB.pending[payoutId] = rec
	end
	rec.name = name
	whisper(M.GOLD_WHISPER, name)
	M.UI.Refresh()
end
MGM_NotifyWinnerWhisper = NotifyWinnerWhisper

function M.GiftWhisper(itemName, count)
	if itemName then
		local item = tostring(itemName):gsub("|", "")
		if count and count > 1 then item = item .. " ×" .. count end
		local text = string.format(M.GIFT_WHISPER, ": " .. item)
		if #text <= M.MAX_LINE then return text end
	end
	return string.format(M.GIFT_WHISPER, "")
end

local function giftArgs(fn, giftId, name, itemId, count)
	giftId = tostring(giftId or "")
	name = M.Trim(M.StripRealm(M.Trim(name)))
	if not M.ValidId(giftId) or not M.ValidName(name) then
		M.Print(fn .. ": bad gift id or name")
		return
	end
	if itemId ~= nil then
		itemId = tonumber(itemId)
		if not itemId or itemId < 1 or itemId ~= math.floor(itemId) then
			M.Print(fn .. ": bad item id")
			return
		end
	end
	if count ~= nil then
		count = tonumber(count)
		if not count or count < 1 or count > 1000000 or count ~= math.floor(count) then
			M.Print(fn .. ": bad item count")
			return
		end
	end
	return giftId, name, itemId, count
end

-- MGM_RequestGiftConfirmation(giftId, name[, itemId[, count]]) whispers the recipient a
-- consent request ending in "!twgift". With itemId, the accepted gift is queued for
-- mailing: count items of it (the count the item list showed, stacks summed); without a
-- count, one stack.
function MGM_RequestGiftConfirmation(giftId, name, itemId, count)
	local id, who, item, n = giftArgs("MGM_RequestGiftConfirmation", giftId, name, itemId, count)
	if not id then return end
	local rec = MGM_DB.gifts[id]
	if not rec then
		rec = { at = time(), seq = M.NextSeq() }
		MGM_DB.gifts[id] = rec
	end
	if item then rec.itemId, rec.count = item, n end
	rec.name = who
	rec.itemName = rec.itemId and (GetItemInfo(rec.itemId)) or nil
	whisper(M.GiftWhisper(rec.itemName, rec.count), who)
	M.UI.Refresh()
end

-- MGM_QueueGift(giftId, name, itemId[, count]) queues a gift mail directly (e.g. after
-- the Desktop recorded the acceptance itself).
function MGM_QueueGift(giftId, name, itemId, count)
	local id, who, item, n = giftArgs("MGM_QueueGift", giftId, name, itemId, count)
	if not id then return end
	if not item then
		M.Print("MGM_QueueGift: an item id is required")
		return
	end
	M.Mail.AddGift(id, who, item, n)
end

-- MGM_CancelGift(giftId) drops a gift whose request failed (skipped, timed out): its
-- pending consent, so a later "!twgift" does nothing, and its queued mail, so Prepare
-- Mail never sends it. Idempotent; prints no tag.
function MGM_CancelGift(giftId)
	giftId = tostring(giftId or "")
	if not M.ValidId(giftId) then
		M.Print("MGM_CancelGift: bad gift id")
		return
	end
	M.Mail.CancelGift(giftId)
end

function M.OnWhisper(text, sender)
	local word = M.Fold(M.Trim(text))
	if word ~= "!twgold" and word ~= "!twgift" then return end
	local key = M.NameKey(sender)
	if word == "!twgold" then
		for _, id in ipairs(M.IdsFor(MGM_DB.pending, key)) do
			MGM_DB.pending[id].accepted = time()
			M.Emit("[MGM_ACCEPT:" .. id .. "]")
		end
	else
		for _, id in ipairs(M.IdsFor(MGM_DB.gifts, key)) do
			local rec = MGM_DB.gifts[id]
			rec.accepted = time()
			M.Emit("[MGM_GIFT_ACCEPT:" .. id .. "]")
			if rec.itemId then M.Mail.AddGift(id, rec.name, rec.itemId, tonumber(rec.count), true) end
		end
	end
	M.UI.Refresh()
end
