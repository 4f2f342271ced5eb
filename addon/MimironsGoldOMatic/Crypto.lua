-- Mimiron's Gold-o-Matic: the cryptography behind the tags' proof of origin
-- (docs/product.md §9, "Only the streamer's own client may speak"). SHA-256 (FIPS 180-4),
-- HMAC-SHA-256 (RFC 2104) and the X25519 key agreement (RFC 7748) in Lua 5.1 with the
-- client's bit library. The Go side of the same wire format is pkg/tagsig; the headless
-- client's tests run both against each other. Nothing in this file prints anything.
--
-- Numbers: Lua 5.1 numbers are doubles (exact integers up to 2^53). A 32-bit word is kept
-- unsigned in [0, 2^32); rotations and shifts are done with arithmetic; only xor and and
-- go through the bit library, always with arguments in the signed 32-bit range and with
-- the result taken modulo 2^32, because whether the 3.3.5a bit library accepts arguments
-- above 2^31-1 and returns signed or unsigned results is unknown (pkg/wowclient/bitlib.go).
-- string.format("%x") is never given a value above 2^31-1 either (Lua 5.1 casts it to a
-- C long, 32 bits on Windows).
local M = MimironsGoldOMatic
local C = {}
M.Crypto = C

local bxor, band = bit.bxor, bit.band
local floor = math.floor
local byte, char, format, rep, sub = string.byte, string.char, string.format, string.rep, string.sub
local concat = table.concat

local U32 = 4294967296
local S31 = 2147483648

-- FIPS 180-4 §4.2.2 and §5.3.3
local K = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
local H0 = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 }

local W = {}

-- compress runs the SHA-256 compression function on the 64-byte block of s at offset i.
local function compress(H, s, i)
	for j = 1, 16 do
		local a, b, c, d = byte(s, i, i + 3)
		W[j] = ((a * 256 + b) * 256 + c) * 256 + d
		i = i + 4
	end
	for j = 17, 64 do
		local x, y = W[j - 15], W[j - 2]
		-- sigma0 = rotr7 ~ rotr18 ~ shr3; sigma1 = rotr17 ~ rotr19 ~ shr10
		local r1 = floor(x / 128) + (x % 128) * 33554432
		local r2 = floor(x / 262144) + (x % 262144) * 16384
		if r1 >= S31 then r1 = r1 - U32 end
		if r2 >= S31 then r2 = r2 - U32 end
		local s0 = bxor(r1, r2, floor(x / 8)) % U32
		r1 = floor(y / 131072) + (y % 131072) * 32768
		r2 = floor(y / 524288) + (y % 524288) * 8192
		if r1 >= S31 then r1 = r1 - U32 end
		if r2 >= S31 then r2 = r2 - U32 end
		local s1 = bxor(r1, r2, floor(y / 1024)) % U32
		W[j] = (W[j - 16] + s0 + W[j - 7] + s1) % U32
	end
	local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
	for j = 1, 64 do
		-- Sigma1(e) = rotr6 ~ rotr11 ~ rotr25
		local r1 = floor(e / 64) + (e % 64) * 67108864
		local r2 = floor(e / 2048) + (e % 2048) * 2097152
		local r3 = floor(e / 33554432) + (e % 33554432) * 128
		if r1 >= S31 then r1 = r1 - U32 end
		if r2 >= S31 then r2 = r2 - U32 end
		if r3 >= S31 then r3 = r3 - U32 end
		local S1 = bxor(r1, r2, r3) % U32
		-- Ch(e,f,g) = (e & f) | (~e & g); the two halves share no bit, so | is +
		local se, sf, sg, sn = e, f, g, U32 - 1 - e
		if se >= S31 then se = se - U32 end
		if sf >= S31 then sf = sf - U32 end
		if sg >= S31 then sg = sg - U32 end
		if sn >= S31 then sn = sn - U32 end
		local ch = band(se, sf) % U32 + band(sn, sg) % U32
		local t1 = h + S1 + ch + K[j] + W[j]
		-- Sigma0(a) = rotr2 ~ rotr13 ~ rotr22
		r1 = floor(a / 4) + (a % 4) * 1073741824
		r2 = floor(a / 8192) + (a % 8192) * 524288
		r3 = floor(a / 4194304) + (a % 4194304) * 1024
		if r1 >= S31 then r1 = r1 - U32 end
		if r2 >= S31 then r2 = r2 - U32 end
		if r3 >= S31 then r3 = r3 - U32 end
		local S0 = bxor(r1, r2, r3) % U32
		-- Maj(a,b,c): per bit a+b+c = xor + 2*maj, so maj = (a+b+c - a~b~c) / 2
		local sa, sb, sc = a, b, c
		if sa >= S31 then sa = sa - U32 end
		if sb >= S31 then sb = sb - U32 end
		if sc >= S31 then sc = sc - U32 end
		local maj = (a + b + c - bxor(sa, sb, sc) % U32) / 2
		h, g, f, e, d, c, b, a = g, f, e, (d + t1) % U32, c, b, a, (t1 + S0 + maj) % U32
	end
	H[1], H[2], H[3], H[4] = (H[1] + a) % U32, (H[2] + b) % U32, (H[3] + c) % U32, (H[4] + d) % U32
	H[5], H[6], H[7], H[8] = (H[5] + e) % U32, (H[6] + f) % U32, (H[7] + g) % U32, (H[8] + h) % U32
end

local function word(w)
	return char(floor(w / 16777216), floor(w / 65536) % 256, floor(w / 256) % 256, w % 256)
end

-- sha256 hashes msg starting from state iv after `prefix` bytes were already hashed
-- (an HMAC's key block).
local function sha256(msg, iv, prefix)
	local H = { iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7], iv[8] }
	local total = prefix + #msg
	local bits = total * 8
	local s = msg .. "\128" .. rep("\0", (55 - total) % 64) .. word(floor(bits / U32)) .. word(bits % U32)
	for i = 1, #s, 64 do
		compress(H, s, i)
	end
	return word(H[1]) .. word(H[2]) .. word(H[3]) .. word(H[4]) .. word(H[5]) .. word(H[6]) .. word(H[7]) .. word(H[8])
end

-- Sha256 is the 32-byte digest of msg.
function C.Sha256(msg)
	return sha256(msg, H0, 0)
end

-- HmacKey prepares a key for Hmac (the two padded key blocks compressed once).
function C.HmacKey(key)
	if #key > 64 then key = C.Sha256(key) end
	key = key .. rep("\0", 64 - #key)
	local ip, op = {}, {}
	for i = 1, 64 do
		local k = byte(key, i)
		ip[i] = char(bxor(k, 0x36) % 256)
		op[i] = char(bxor(k, 0x5c) % 256)
	end
	local hi = { H0[1], H0[2], H0[3], H0[4], H0[5], H0[6], H0[7], H0[8] }
	local ho = { H0[1], H0[2], H0[3], H0[4], H0[5], H0[6], H0[7], H0[8] }
	compress(hi, concat(ip), 1)
	compress(ho, concat(op), 1)
	return { hi, ho }
end

-- Hmac is HMAC-SHA-256(key, msg), 32 bytes, for a key from HmacKey.
function C.Hmac(ctx, msg)
	return sha256(sha256(msg, ctx[1], 64), ctx[2], 64)
end

function C.Hex(s)
	local out = {}
	for i = 1, #s do out[i] = format("%02x", byte(s, i)) end
	return concat(out)
end

-- Unhex reads lowercase hex; nil when s is not that.
function C.Unhex(s)
	if type(s) ~= "string" or #s % 2 ~= 0 or s:find("[^0-9a-f]") then return nil end
	local out = {}
	for i = 1, #s, 2 do out[#out + 1] = char(tonumber(sub(s, i, i + 1), 16)) end
	return concat(out)
end

-- X25519 (RFC 7748 §5). A field element mod p = 2^255 - 19 is 16 limbs of 16 bits,
-- least significant first; limbs may run a little outside [0, 2^16) between carries
-- and every intermediate stays below 2^53.

local function fe(v)
	return { v or 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
end

-- carry moves each limb's overflow into the next; 2^256 = 38 (mod p) wraps the top one.
local function carry(o)
	for i = 1, 15 do
		local v = o[i]
		local c = floor(v / 65536)
		o[i] = v - c * 65536
		o[i + 1] = o[i + 1] + c
	end
	local v = o[16]
	local c = floor(v / 65536)
	o[16] = v - c * 65536
	o[1] = o[1] + 38 * c
end

local function fadd(o, a, b)
	for i = 1, 16 do o[i] = a[i] + b[i] end
end

local function fsub(o, a, b)
	for i = 1, 16 do o[i] = a[i] - b[i] end
end

local T = {}
local function fmul(o, a, b)
	for i = 1, 31 do T[i] = 0 end
	for i = 1, 16 do
		local ai = a[i]
		if ai ~= 0 then
			for j = 1, 16 do
				local k = i + j - 1
				T[k] = T[k] + ai * b[j]
			end
		end
	end
	for i = 1, 15 do o[i] = T[i] + 38 * T[i + 16] end
	o[16] = T[16]
	carry(o)
	carry(o)
end

local function finv(o, x)
	local c = { unpack(x) }
	for a = 253, 0, -1 do
		fmul(c, c, c)
		if a ~= 2 and a ~= 4 then fmul(c, c, x) end
	end
	for i = 1, 16 do o[i] = c[i] end
end

-- pack reduces a field element fully and writes it as 32 little-endian bytes.
local function pack(x)
	local t = { unpack(x) }
	for _ = 1, 4 do carry(t) end
	for _ = 1, 2 do -- t < 2^256 = 2p + 38: at most two subtractions of p
		local m, borrow = {}, 0
		for i = 1, 16 do
			local pi = (i == 1 and 0xffed) or (i == 16 and 0x7fff) or 0xffff
			local v = t[i] - pi - borrow
			if v < 0 then v, borrow = v + 65536, 1 else borrow = 0 end
			m[i] = v
		end
		if borrow == 0 then t = m end
	end
	local out = {}
	for i = 1, 16 do out[i] = char(t[i] % 256, floor(t[i] / 256)) end
	return concat(out)
end

local function unpack25519(s)
	local o = fe()
	for i = 1, 16 do
		local lo, hi = byte(s, 2 * i - 1, 2 * i)
		o[i] = lo + 256 * hi
	end
	o[16] = o[16] % 32768 -- RFC 7748 §5: the top bit of u is ignored
	return o
end

-- X25519 multiplies the point with u-coordinate u (32 bytes) by the scalar k (32 bytes,
-- clamped as RFC 7748 §5 says) and returns the result's u-coordinate (32 bytes). With
-- yieldEvery it calls coroutine.yield() every that many ladder steps, so a caller can
-- spread the work over frames.
function C.X25519(k, u, yieldEvery)
	local z = { byte(k, 1, 32) }
	z[1] = z[1] - z[1] % 8
	z[32] = z[32] % 64 + 64 -- (k[31] & 127) | 64
	local x1 = unpack25519(u)
	local x2, z2, x3, z3 = fe(1), fe(), { unpack(x1) }, fe(1)
	local A, AA, B, BB, E, CC, D, DA, CB, t = fe(), fe(), fe(), fe(), fe(), fe(), fe(), fe(), fe(), fe()
	local swap = 0
	for pos = 254, 0, -1 do
		local bitv = floor(z[floor(pos / 8) + 1] / 2 ^ (pos % 8)) % 2
		if swap ~= bitv then
			-- through a temporary: gopher-lua (the headless client) mis-compiles the
			-- multiple assignment x2, x3 = x3, x2 here and leaves both names on one table
			local tx, tz = x2, z2
			x2, z2 = x3, z3
			x3, z3 = tx, tz
		end
		swap = bitv
		fadd(A, x2, z2)
		fmul(AA, A, A)
		fsub(B, x2, z2)
		fmul(BB, B, B)
		fsub(E, AA, BB)
		fadd(CC, x3, z3)
		fsub(D, x3, z3)
		fmul(DA, D, A)
		fmul(CB, CC, B)
		fadd(x3, DA, CB)
		fmul(x3, x3, x3)
		fsub(z3, DA, CB)
		fmul(z3, z3, z3)
		fmul(z3, z3, x1)
		fmul(x2, AA, BB)
		for i = 1, 16 do t[i] = E[i] * 121665 end -- a24 = (486662 - 2) / 4
		carry(t)
		fadd(t, t, AA)
		fmul(z2, E, t)
		if yieldEvery and pos % yieldEvery == 0 then coroutine.yield() end
	end
	if swap == 1 then
		x2, z2 = x3, z3
	end
	finv(z2, z2)
	fmul(x2, x2, z2)
	return pack(x2)
end

C.BASE = "\9" .. rep("\0", 31)

-- Entropy. The private scalar of a pairing must be unguessable by anyone watching the
-- stream. WoW's math.random may be a small C rand(); so the seed also hashes the timing
-- of the last 64 frames (OnUpdate elapsed times, jittery at sub-millisecond precision),
-- the clocks, the Lua heap size and a fresh table's address, and chains every earlier
-- seed.
local pool, poolN = {}, 0

function C.Stir(v)
	poolN = poolN % 64 + 1
	pool[poolN] = v
end

local chain = ""

-- RandomBytes returns 32 unpredictable bytes; extra is mixed in (it need not be secret).
function C.RandomBytes(extra)
	local parts = { chain, tostring(extra), tostring({}), tostring(time()), format("%.17g", GetTime()) }
	local ok, kb = pcall(collectgarbage, "count")
	if ok then parts[#parts + 1] = tostring(kb) end
	if debugprofilestop then parts[#parts + 1] = format("%.17g", debugprofilestop()) end
	for i = 1, 8 do parts[#parts + 1] = format("%.17g", math.random()) end
	for i = 1, 64 do parts[#parts + 1] = format("%.17g", pool[i] or 0) end
	local seed = C.Sha256(concat(parts, "|"))
	chain = C.Sha256("chain|" .. seed)
	return C.Hmac(C.HmacKey(seed), "MGM random")
end
