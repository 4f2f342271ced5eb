-- Mimiron's Gold-o-Matic: the one path every tag leaves by, its proof of origin, the
-- pairing with the Desktop, and the bridge self-test.
--
-- docs/product.md §9 "Only the streamer's own client may speak": the chat log also holds
-- what other players say, so the Desktop takes a tag only when it carries a signature it
-- can check. Every tag line is <tag>[MGM_SIG:<key id>:<mac>] (wire format: pkg/tagsig and
-- addon/README.md "Signed tags"). The key comes from a pairing (MGM_Pair): an X25519 key
-- agreement, so the key itself is never typed, printed or shown on stream, and this file
-- never prints it (only its public id).
local M = MimironsGoldOMatic
local C = M.Crypto

-- SIG_LEN is what a signature adds to a tag line: "[MGM_SIG:" 8 hex ":" 32 hex "]".
M.SIG_LEN = 51
-- HOLD_MAX bounds the tags kept while not paired; RECENT_MAX and RECENT_AGE the signed
-- tags kept to send again after a new pairing (a Desktop that lost its key refuses what
-- was signed with it).
local HOLD_MAX = 200
local RECENT_MAX, RECENT_AGE = 100, 24 * 60 * 60

local macCtx, keyId -- the loaded key's HMAC state and public id

-- Print shows a message for the streamer (never a tag).
function M.Print(msg)
	DEFAULT_CHAT_FRAME:AddMessage("|cffffd100MGM:|r " .. tostring(msg))
end

function M.Debug(msg)
	if MGM_DB and MGM_DB.debug then
		DEFAULT_CHAT_FRAME:AddMessage("|cff888888MGM debug:|r " .. tostring(msg))
	end
end

-- LoadBridgeKey reads the pairing key from SavedVariables (a malformed one is dropped).
function M.LoadBridgeKey()
	macCtx, keyId = nil, nil
	local b = MGM_DB and MGM_DB.bridge
	local raw = type(b) == "table" and C.Unhex(b.key)
	if not raw or #raw ~= 32 then
		if MGM_DB then MGM_DB.bridge = nil end
		return
	end
	macCtx = C.HmacKey(raw)
	keyId = C.Hex(C.Hmac(macCtx, "MGM key id")):sub(1, 8)
end

-- BridgeKeyId is the loaded key's public id, nil when not paired.
function M.BridgeKeyId()
	return keyId
end

-- Sign appends the signature of tag (its exact text) made with the loaded key.
function M.Sign(tag)
	return tag .. "[MGM_SIG:" .. keyId .. ":" .. C.Hex(C.Hmac(macCtx, "MGM tag v1|" .. tag)):sub(1, 32) .. "]"
end

-- SignedLine is tag signed when a key is loaded, else tag as it is (for a line printed
-- outside Emit, such as [MGM_BYE] at logout).
function M.SignedLine(tag)
	if macCtx then return M.Sign(tag) end
	return tag
end

-- ephemeral tags are answers to the moment (a pong, an acknowledgement): never kept to be
-- sent again.
local function ephemeral(tag)
	return tag:find("^%[MGM_PONG:") or tag:find("^%[MGM_ACK:")
end

-- Send writes one finished line. Mode "chatframe" adds it to the default chat frame; mode
-- "whisper" whispers it to ourselves, a channel the client's chat log surely records
-- (see README: whether AddMessage output reaches WoWChatLog.txt is client-dependent).
local function send(line)
	local mode = MGM_DB and MGM_DB.emit or "chatframe"
	if mode == "whisper" and #line <= M.MAX_LINE then
		M.Chat.Send(line, "WHISPER", (UnitName("player")))
	else
		DEFAULT_CHAT_FRAME:AddMessage(line)
	end
end

local warned
local function hold(tag)
	local held = MGM_DB.held
	for _, l in ipairs(held) do
		if l == tag then return end
	end
	held[#held + 1] = tag
	if #held > HOLD_MAX then
		table.remove(held, 1)
		M.Print("not paired with the Desktop: more than " .. HOLD_MAX .. " reports waiting, the oldest was dropped")
	end
	if not warned then
		warned = true
		M.Print("not paired with the Desktop yet: reports wait until it is (the Desktop pairs by itself after its self-test)")
	end
end

-- Emit writes one tag, signed. Without a key the tag goes out unsigned (the Desktop
-- refuses it and says the bridge is not paired) and is kept in SavedVariables, to be sent
-- again signed as soon as a pairing completes; a pong or an acknowledgement is not kept
-- (the Desktop asks again). Signed tags of the last day are kept too and sent again after a new pairing;
-- the Desktop handles each tag once, so a repeat costs nothing.
function M.Emit(tag)
	if macCtx then
		send(M.Sign(tag))
		if not ephemeral(tag) then
			local recent = MGM_DB.recent
			recent[#recent + 1] = { tag = tag, at = time() }
			if #recent > RECENT_MAX then table.remove(recent, 1) end
		end
		return
	end
	send(tag)
	if not ephemeral(tag) then hold(tag) end
end

local function validNonce(nonce)
	return #nonce >= 1 and #nonce <= 64 and nonce:match("^[%w%-_%.:]+$") ~= nil
end

-- MGM_Ping answers the Desktop's bridge self-test through the same path as every tag.
function MGM_Ping(nonce)
	nonce = tostring(nonce or "")
	if not validNonce(nonce) then
		M.Print("MGM_Ping: the nonce must be 1-64 letters, digits or -_.:")
		return
	end
	M.Emit("[MGM_PONG:" .. nonce .. "]")
end

local pairing -- the key agreement in progress (a coroutine spread over frames)

-- MGM_Pair(nonce, desktopPublicKeyHex) agrees on a new key with the Desktop (X25519,
-- RFC 7748): it draws a private scalar, and over the next frames computes its public key
-- and the shared secret, derives the key, stores it in SavedVariables, prints
-- [MGM_PAIR:<nonce>]{"pub":"<its public key>"} signed with the new key, and sends the
-- reports kept while unpaired. A new call replaces a pairing still in progress and an
-- older key.
function MGM_Pair(nonce, pub)
	nonce, pub = tostring(nonce or ""), tostring(pub or "")
	if not validNonce(nonce) then
		M.Print("MGM_Pair: the nonce must be 1-64 letters, digits or -_.:")
		return
	end
	local D = C.Unhex(pub)
	if not D or #D ~= 32 then
		M.Print("MGM_Pair: the Desktop's key must be 64 lowercase hex digits")
		return
	end
	local seed = C.RandomBytes(nonce .. pub)
	pairing = coroutine.create(function()
		local A = C.X25519(seed, C.BASE, 32)
		local S = C.X25519(seed, D, 32)
		if S == string.rep("\0", 32) then
			error("the Desktop's key is not a usable X25519 key")
		end
		local Ahex = C.Hex(A)
		return C.Hmac(C.HmacKey(S), "MGM pair v1|" .. nonce .. "|" .. pub .. "|" .. Ahex), Ahex, nonce
	end)
	M.Print("pairing with the Desktop…")
end

-- PairStep advances a pairing in progress (called every frame).
function M.PairStep()
	if not pairing then return end
	local co = pairing
	local ok, key, pubHex, nonce = coroutine.resume(co)
	if coroutine.status(co) ~= "dead" or pairing ~= co then return end
	pairing = nil
	if not ok then
		M.Print("pairing with the Desktop failed: " .. tostring(key))
		return
	end
	MGM_DB.bridge = { key = C.Hex(key), at = time() }
	M.LoadBridgeKey()
	send(M.Sign("[MGM_PAIR:" .. nonce .. ']{"pub":"' .. pubHex .. '"}'))
	M.Print("paired with the Desktop (key " .. keyId .. ")")
	local again, seen = {}, {}
	local now = time()
	for _, e in ipairs(MGM_DB.recent) do
		if now - e.at <= RECENT_AGE and not seen[e.tag] then
			seen[e.tag] = true
			again[#again + 1] = e
		end
	end
	for _, tag in ipairs(MGM_DB.held) do
		if not seen[tag] then
			seen[tag] = true
			again[#again + 1] = { tag = tag, at = now }
		end
	end
	MGM_DB.held, MGM_DB.recent = {}, again
	warned = nil
	for _, e in ipairs(again) do
		send(M.Sign(e.tag))
	end
end

-- Unpair forgets the key (/mgm unpair); the Desktop pairs again after its next self-test.
function M.Unpair()
	MGM_DB.bridge = nil
	M.LoadBridgeKey()
	M.Print("the Desktop's key is forgotten; press Ping in the Desktop to pair again")
end
