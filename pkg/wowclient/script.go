package wowclient

// Calling into Lua: protected calls, the error frame, and the test set-up entry points.

import (
	lua "github.com/yuin/gopher-lua"
)

// protect calls fn in protected mode; a Lua error is recorded (the real client shows it
// in its error frame) and returned.
func (c *Client) protect(fn lua.LValue, args ...lua.LValue) error {
	if c.L == nil {
		return ErrLoggedOut
	}
	c.inLua++
	defer func() { c.inLua-- }()
	err := c.L.CallByParam(lua.P{Fn: fn, NRet: 0, Protect: true}, args...)
	if err != nil {
		c.errs = append(c.errs, err)
	}
	return err
}

// Errors are the Lua errors raised so far (the real client's error frame).
func (c *Client) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// TakeErrors returns the Lua errors raised so far and forgets them.
func (c *Client) TakeErrors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := c.errs
	c.errs = nil
	return errs
}

func (c *Client) callGlobal(name string, args ...lua.LValue) error {
	return c.protect(c.L.GetGlobal(name), args...)
}

// Run runs Lua source as /run would, without the 255-byte limit (test set-up).
func (c *Client) Run(src string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	fn, err := c.L.LoadString(src)
	if err != nil {
		return err
	}
	return c.protect(fn)
}

// Call calls a global Lua function with string arguments, as /run Fn("a","b") would but
// without quoting or the 255-byte limit (test set-up, fuzzing).
func (c *Client) Call(fn string, args ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return ErrLoggedOut
	}
	defer c.afterLua()
	lv := make([]lua.LValue, len(args))
	for i, a := range args {
		lv[i] = lua.LString(a)
	}
	return c.callGlobal(fn, lv...)
}

// Eval runs a Lua expression and returns its value converted to Go (string, float64,
// bool, nil, or map/slice for tables).
func (c *Client) Eval(expr string) (any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loggedIn {
		return nil, ErrLoggedOut
	}
	fn, err := c.L.LoadString("return " + expr)
	if err != nil {
		return nil, err
	}
	if err := c.L.CallByParam(lua.P{Fn: fn, NRet: 1, Protect: true}); err != nil {
		return nil, err
	}
	v := c.L.Get(-1)
	c.L.Pop(1)
	return toGo(v, 0), nil
}

func toGo(v lua.LValue, depth int) any {
	switch v := v.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return float64(v)
	case lua.LBool:
		return bool(v)
	case *lua.LTable:
		if depth > 20 {
			return nil
		}
		if n := v.Len(); n > 0 {
			out := make([]any, 0, n)
			for i := 1; i <= n; i++ {
				out = append(out, toGo(v.RawGetInt(i), depth+1))
			}
			return out
		}
		out := map[string]any{}
		v.ForEach(func(k, val lua.LValue) { out[k.String()] = toGo(val, depth+1) })
		return out
	}
	return nil
}
