package wowclient

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The global strings of FrameXML/GlobalStrings.lua that the addon or this emulation
// touches, per locale. enUS is tekkub/wow-ui-source@3.3.5 FrameXML/GlobalStrings.lua
// (line numbers beside each). The ruRU values are UNKNOWN: no ruRU GlobalStrings.lua of
// 3.3.5 was found in the reference material (searched for WHO_TAG_NAME and the chat
// strings), so they are written from memory of the Russian client and, where unsure,
// chosen to differ from enUS — the stricter choice: an addon that hard-codes "n-" or an
// English tooltip line fails in ruRU as it would if the real values differ.
var globalStrings = map[string]map[string]string{
	"enUS": {
		"WHO_TAG_NAME":                   "n-",                                            // GlobalStrings.lua:8943
		"WHO_TAG_GUILD":                  "g-",                                            // :8942
		"WHO_TAG_ZONE":                   "z-",                                            // :8945
		"WHO_TAG_RACE":                   "r-",                                            // :8944
		"WHO_TAG_CLASS":                  "c-",                                            // :8941
		"WHO_LIST_FORMAT":                "|Hplayer:%s|h[%s]|h: Level %d %s %s - %s",      // :8938
		"WHO_LIST_GUILD_FORMAT":          "|Hplayer:%s|h[%s]|h: Level %d %s %s <%s> - %s", // :8939
		"WHO_NUM_RESULTS":                "%d |4player:players; total",                    // :8940
		"ITEM_SOULBOUND":                 "Soulbound",                                     // :4520
		"ITEM_BIND_QUEST":                "Quest Item",                                    // :4341
		"ITEM_ACCOUNTBOUND":              "Account Bound",                                 // :4337
		"ITEM_BIND_TO_ACCOUNT":           "Binds to account",                              // :4342
		"ITEM_CONJURED":                  "Conjured Item",                                 // :4345
		"ITEM_STARTS_QUEST":              "This Item Begins a Quest",                      // :4528
		"ITEM_DURATION_DAYS":             "Duration: %d |4day:days;",                      // :4361
		"ITEM_DURATION_HOURS":            "Duration: %d |4hour:hrs;",                      // :4362
		"ITEM_DURATION_MIN":              "Duration: %d min",                              // :4363
		"ITEM_DURATION_SEC":              "Duration: %d sec",                              // :4364
		"ERR_CHAT_PLAYER_NOT_FOUND_S":    "No player named '%s' is currently playing.",    // :3001
		"ERR_MAIL_TO_SELF":               "You can't send mail to yourself.",              // :3245
		"ERR_NOT_ENOUGH_MONEY":           "You don't have enough money.",                  // :3307
		"ERR_MAIL_DATABASE_ERROR":        "Internal mail database error.",                 // :3236
		"ERR_MAIL_LIMITED_DURATION_ITEM": "You cannot mail items with a limited duration", // :3239
		"ERR_MAIL_BOUND_ITEM":            "You can't mail soulbound items.",               // :3234
		"ERR_MAIL_TOO_MANY_ATTACHMENTS":  "A mail included too many attachments.",         // :3244
		"ERR_MAIL_TARGET_NOT_FOUND":      "Cannot find mail recipient.",                   // :3243
		"CHAT_WHISPER_GET":               "%s whispers: ",                                 // :1600
		"CHAT_WHISPER_INFORM_GET":        "To %s: ",                                       // :1601
		"CHAT_SAY_GET":                   "%s says: ",                                     // :1570
		"SEND_MONEY_CONFIRMATION":        "Really send %s the following amount?",          // :6215
		"LANG_WAIT_BEFORE_SPEAKING":      "You must wait %s before speaking again.",       // server text (TrinityCore Language.h LANG_WAIT_BEFORE_SPEAKING)
	},
	"ruRU": {
		"WHO_TAG_NAME":                   "и-",
		"WHO_TAG_GUILD":                  "г-",
		"WHO_TAG_ZONE":                   "з-",
		"WHO_TAG_RACE":                   "р-",
		"WHO_TAG_CLASS":                  "к-",
		"WHO_LIST_FORMAT":                "|Hplayer:%s|h[%s]|h: %d-й уровень, %s, %s - %s",
		"WHO_LIST_GUILD_FORMAT":          "|Hplayer:%s|h[%s]|h: %d-й уровень, %s, %s <%s> - %s",
		"WHO_NUM_RESULTS":                "Всего игроков: %d",
		"ITEM_SOULBOUND":                 "Персональный предмет",
		"ITEM_BIND_QUEST":                "Предмет, необходимый для задания",
		"ITEM_ACCOUNTBOUND":              "Привязано к учетной записи",
		"ITEM_BIND_TO_ACCOUNT":           "Становится персональным для учетной записи",
		"ITEM_CONJURED":                  "Сотворенный предмет",
		"ITEM_STARTS_QUEST":              "Этот предмет позволяет получить задание",
		"ITEM_DURATION_DAYS":             "Длительность: %d |4день:дня:дней;",
		"ITEM_DURATION_HOURS":            "Длительность: %d ч.",
		"ITEM_DURATION_MIN":              "Длительность: %d мин.",
		"ITEM_DURATION_SEC":              "Длительность: %d сек.",
		"ERR_CHAT_PLAYER_NOT_FOUND_S":    "Персонаж по имени \"%s\" сейчас не в игре.",
		"ERR_MAIL_TO_SELF":               "Нельзя отправить письмо самому себе.",
		"ERR_NOT_ENOUGH_MONEY":           "Недостаточно денег.",
		"ERR_MAIL_DATABASE_ERROR":        "Внутренняя ошибка почтовой базы данных.",
		"ERR_MAIL_LIMITED_DURATION_ITEM": "Нельзя отправлять по почте предметы с ограниченным сроком существования",
		"ERR_MAIL_BOUND_ITEM":            "Нельзя отправлять по почте персональные предметы.",
		"ERR_MAIL_TOO_MANY_ATTACHMENTS":  "В письме слишком много вложений.",
		"ERR_MAIL_TARGET_NOT_FOUND":      "Получатель не найден.",
		"CHAT_WHISPER_GET":               "%s шепчет: ",
		"CHAT_WHISPER_INFORM_GET":        "Вы шепчете %s: ",
		"CHAT_SAY_GET":                   "%s говорит: ",
		"SEND_MONEY_CONFIRMATION":        "Отправить %s эту сумму?",
		"LANG_WAIT_BEFORE_SPEAKING":      "Вы сможете говорить снова через %s.",
	},
}

// gs is a global string of the client's locale.
func (c *Client) gs(name string) string {
	if s, ok := globalStrings[c.locale()][name]; ok {
		return s
	}
	return globalStrings["enUS"][name]
}

func (c *Client) locale() string {
	if _, ok := globalStrings[c.opts.Locale]; ok {
		return c.opts.Locale
	}
	return "enUS"
}

// setGlobalStrings defines the locale's strings as Lua globals, as GlobalStrings.lua
// does before any addon loads.
func (c *Client) setGlobalStrings() {
	for k, v := range globalStrings["enUS"] {
		c.L.SetGlobal(k, lua.LString(c.gs(k)))
		_ = v
	}
}

// plural renders the client's "|4singular:plural;" escape (enUS) or
// "|4one:few:many;" (ruRU) for n.
func plural(s string, n int) string {
	i := strings.Index(s, "|4")
	if i < 0 {
		return s
	}
	j := strings.IndexByte(s[i:], ';')
	if j < 0 {
		return s
	}
	forms := strings.Split(s[i+2:i+j], ":")
	pick := forms[len(forms)-1]
	switch {
	case len(forms) == 2 && n == 1:
		pick = forms[0]
	case len(forms) == 3:
		switch {
		case n%10 == 1 && n%100 != 11:
			pick = forms[0]
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 10 || n%100 >= 20):
			pick = forms[1]
		}
	}
	return s[:i] + pick + s[i+j+1:]
}
