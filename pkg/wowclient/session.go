package wowclient

// Logging in and out: the addon's .toc, loading its files and SavedVariables, /reload,
// logout and close.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

func (c *Client) readTOC() error {
	entries, err := os.ReadDir(c.opts.AddonDir)
	if err != nil {
		return fmt.Errorf("wowclient: read addon dir: %w", err)
	}
	var toc string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".toc") {
			toc = e.Name()
		}
	}
	if toc == "" {
		return errors.New("wowclient: no .toc in " + c.opts.AddonDir)
	}
	c.addonName = strings.TrimSuffix(toc, ".toc")
	if base := filepath.Base(c.opts.AddonDir); base != c.addonName {
		return fmt.Errorf("wowclient: addon folder %q must be named like its toc %q", base, toc)
	}
	f, err := os.Open(filepath.Join(c.opts.AddonDir, toc))
	if err != nil {
		return fmt.Errorf("wowclient: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "##"):
			k, v, _ := strings.Cut(strings.TrimSpace(line[2:]), ":")
			var list []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					list = append(list, s)
				}
			}
			switch strings.TrimSpace(k) {
			case "SavedVariables":
				c.savedVars = list
			case "SavedVariablesPerCharacter":
				c.savedVarsC = list
			}
		case strings.HasPrefix(line, "#"):
		default:
			c.tocFiles = append(c.tocFiles, strings.ReplaceAll(line, `\`, "/"))
		}
	}
	return sc.Err()
}

// tocFiles lists the Lua files of another addon's .toc, in order.
func tocFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wowclient: read addon dir: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".toc") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, strings.ReplaceAll(line, `\`, "/"))
			}
		}
		return out, nil
	}
	return nil, errors.New("wowclient: no .toc in " + dir)
}

// LogPath is <Dir>/Logs/WoWChatLog.txt.
func (c *Client) LogPath() string { return filepath.Join(c.opts.Dir, "Logs", "WoWChatLog.txt") }

// AddonName is the addon's folder name.
func (c *Client) AddonName() string { return c.addonName }

func (c *Client) svPath(perChar bool) string {
	if perChar {
		return filepath.Join(c.opts.Dir, "WTF", "Account", "MGM", c.opts.Realm, c.opts.Player, "SavedVariables", c.addonName+".lua")
	}
	return filepath.Join(c.opts.Dir, "WTF", "Account", "MGM", "SavedVariables", c.addonName+".lua")
}

// SavedVariablesPath is where the account-wide SavedVariables file is written.
func (c *Client) SavedVariablesPath() string { return c.svPath(false) }

func (c *Client) login() error {
	if c.closed {
		return ErrClosed
	}
	c.newState()
	c.session++
	// Addons load in the order of their folder names, case-insensitively (the client's
	// AddOns list order; unknown whether dependencies were honoured first, none here).
	type addon struct {
		name, dir string
		files     []string
	}
	all := []addon{{c.addonName, c.opts.AddonDir, c.tocFiles}}
	for _, dir := range c.opts.ExtraAddons {
		files, err := tocFiles(dir)
		if err != nil {
			return err
		}
		all = append(all, addon{filepath.Base(dir), dir, files})
	}
	sort.SliceStable(all, func(i, j int) bool { return strings.ToLower(all[i].name) < strings.ToLower(all[j].name) })
	for _, a := range all {
		ns := c.L.NewTable()
		if a.name == c.addonName {
			ns = c.addonNS()
		}
		for _, f := range a.files {
			src, err := os.ReadFile(filepath.Join(a.dir, filepath.FromSlash(f)))
			if err != nil {
				return fmt.Errorf("wowclient: toc file %s: %w", f, err)
			}
			fn, err := c.L.Load(strings.NewReader(string(src)), "@Interface/AddOns/"+a.name+"/"+f)
			if err != nil {
				// A syntax error stops that file only, as in the real client.
				c.errs = append(c.errs, fmt.Errorf("load %s: %w", f, err))
				continue
			}
			c.protect(fn, lua.LString(a.name), ns)
		}
	}
	for _, per := range []bool{false, true} {
		src, err := os.ReadFile(c.svPath(per))
		if err == nil {
			if err := c.L.DoString(string(src)); err != nil {
				c.errs = append(c.errs, fmt.Errorf("SavedVariables: %w", err))
			}
		}
	}
	c.loggedIn = true
	c.screen = ScreenWorld
	for _, a := range all {
		c.fire("ADDON_LOADED", lua.LString(a.name))
	}
	c.fire("VARIABLES_LOADED")
	c.fire("PLAYER_LOGIN")
	c.fire("PLAYER_ENTERING_WORLD")
	c.afterLua()
	return nil
}

func (c *Client) addonNS() *lua.LTable {
	if c.ns == nil {
		c.ns = c.L.NewTable()
	}
	return c.ns
}

func (c *Client) logoutLocked() error {
	if !c.loggedIn {
		return ErrLoggedOut
	}
	c.fire("PLAYER_LEAVING_WORLD")
	c.fire("PLAYER_LOGOUT")
	err := c.saveVariables()
	c.L.Close()
	c.L = nil
	c.loggedIn = false
	c.screen = ScreenCharSelect
	c.focus, c.overrides = nil, nil
	c.widgets, c.byEvent = nil, nil
	if c.mailOpen {
		c.mailOpen = false
		c.returnAttachments()
	}
	c.cursor = nil
	return err
}

func (c *Client) reloadLocked() error {
	c.wantReload = false
	if err := c.logoutLocked(); err != nil {
		return err
	}
	if c.opts.LoadingTime > 0 {
		c.enterWorld()
		return nil
	}
	return c.login()
}

// Reload is /reload: SavedVariables are written, the UI torn down and the addon loaded
// again. The world (bags, online list, clock, chat logging, /who throttle) stays.
func (c *Client) Reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reloadLocked()
}

// Logout fires PLAYER_LOGOUT and writes SavedVariables; chat logging switches off.
func (c *Client) Logout() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.logoutLocked()
	c.logging = false
	return err
}

// Login logs the character in again after Logout.
func (c *Client) Login() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loggedIn {
		return nil
	}
	if c.opts.LoadingTime > 0 {
		c.enterWorld()
		return nil
	}
	return c.login()
}

// Close stops Start's goroutine and releases the Lua state and the log file without
// writing SavedVariables (like a crash; call Logout first to save).
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.stop)
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.L != nil {
		c.L.Close()
		c.L = nil
	}
	c.loggedIn = false
	return c.logFile.Close()
}
