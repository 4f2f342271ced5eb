-- Mimiron's Gold-o-Matic: the one path every tag leaves by, and the bridge self-test.
local M = MimironsGoldOMatic

-- Print shows a message for the streamer (never a tag).
function M.Print(msg)
	DEFAULT_CHAT_FRAME:AddMessage("|cffffd100MGM:|r " .. tostring(msg))
end

function M.Debug(msg)
	if MGM_DB and MGM_DB.debug then
		DEFAULT_CHAT_FRAME:AddMessage("|cff888888MGM debug:|r " .. tostring(msg))
	end
end

-- Emit writes one tag line. Mode "chatframe" adds it to the default chat frame; mode
-- "whisper" whispers it to ourselves, a channel the client's chat log surely records
-- (see README: whether AddMessage output reaches WoWChatLog.txt is client-dependent).
function M.Emit(line)
	local mode = MGM_DB and MGM_DB.emit or "chatframe"
	if mode == "whisper" and #line <= M.MAX_LINE then
		M.Chat.Send(line, "WHISPER", (UnitName("player")))
	else
		DEFAULT_CHAT_FRAME:AddMessage(line)
	end
end

-- MGM_Ping answers the Desktop's bridge self-test through the same path as every tag.
function MGM_Ping(nonce)
	nonce = tostring(nonce or "")
	if #nonce < 1 or #nonce > 64 or not nonce:match("^[%w%-_%.:]+$") then
		M.Print("MGM_Ping: the nonce must be 1-64 letters, digits or -_.:")
		return
	end
	M.Emit("[MGM_PONG:" .. nonce .. "]")
end
