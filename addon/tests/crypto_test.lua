-- Runs Crypto.lua under the real Lua 5.1 interpreter (the VM the 3.3.5a client embeds),
-- so a difference between gopher-lua and Lua 5.1 cannot hide in the tags' proof of
-- origin: the FIPS 180-4, RFC 4231 and RFC 7748 vectors, and the time one X25519 takes
-- here (the pairing does two). The bit library is a strict stand-in written with
-- arithmetic: arguments must be signed 32-bit integers, results come back signed
-- (pkg/wowclient/bitlib.go explains why). scripts/lint-addon.sh runs it.
MimironsGoldOMatic = {}
local function u(x)
	assert(x == math.floor(x) and x >= -2147483648 and x <= 2147483647, "bit argument out of the signed 32-bit range: " .. tostring(x))
	return x % 4294967296
end
local function s(x)
	if x >= 2147483648 then return x - 4294967296 end
	return x
end
local function op(f)
	return function(a, ...)
		local r = u(a)
		for _, b in ipairs({ ... }) do
			b = u(b)
			local out, p = 0, 1
			for _ = 1, 32 do
				local x, y = r % 2, b % 2
				if f(x, y) then out = out + p end
				r, b, p = (r - x) / 2, (b - y) / 2, p * 2
			end
			r = out
		end
		return s(r)
	end
end
bit = {
	bxor = op(function(x, y) return x ~= y end),
	band = op(function(x, y) return x == 1 and y == 1 end),
}
function GetTime() return 1000 end
function time() return 1775304000 end
dofile((arg[1] or "MimironsGoldOMatic") .. "/Crypto.lua")
local C = MimironsGoldOMatic.Crypto
local function eq(got, want, what)
	assert(got == want, what .. ": got " .. got .. ", want " .. want)
end
eq(C.Hex(C.Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "SHA-256 abc")
eq(C.Hex(C.Sha256(string.rep("a", 1000))), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3", "SHA-256 a*1000")
eq(C.Hex(C.Hmac(C.HmacKey("Jefe"), "what do ya want for nothing?")),
	"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "RFC 4231 case 2")
eq(C.Hex(C.Hmac(C.HmacKey(string.rep("\170", 131)), "Test Using Larger Than Block-Size Key - Hash Key First")),
	"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", "RFC 4231 case 6")
local t0 = os.clock()
eq(C.Hex(C.X25519(C.Unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
	C.Unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))),
	"c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", "RFC 7748 5.2 vector 1")
local took = os.clock() - t0
-- RFC 7748 6.1: Alice's and Bob's key pair and their shared secret
local a = C.Unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
local b = C.Unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
eq(C.Hex(C.X25519(a, C.BASE)), "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "Alice's public key")
local co = coroutine.create(function() return C.X25519(a, C.X25519(b, C.BASE, 16), 64) end)
local yields, ok, shared = 0, coroutine.resume(co)
while coroutine.status(co) ~= "dead" do
	yields = yields + 1
	ok, shared = coroutine.resume(co)
end
assert(ok, shared)
assert(yields >= 16, "X25519 yields while it works: " .. yields)
eq(C.Hex(shared), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", "shared secret")
assert(#C.RandomBytes("x") == 32 and C.RandomBytes("x") ~= C.RandomBytes("x"), "RandomBytes")
print(string.format("real lua5.1: Crypto.lua OK (one X25519: %.0f ms)", took * 1000))
