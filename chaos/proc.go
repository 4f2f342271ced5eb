package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is one child process of the run: a service replica or a NATS node. Its output
// goes to its own log file. A supervised proc is started again after it exits, the way
// Kubernetes restarts a container (restartPolicy: Always) or docker-compose does with
// `restart: unless-stopped`; the chaos schedule's kill -9 relies on that.
type proc struct {
	name    string
	bin     string
	args    []string
	env     []string
	logPath string
	// restartDelay is how long a supervised proc stays down after it exits.
	restartDelay time.Duration
	supervised   bool
	readyURL     string // the replica's /readyz on its ops address

	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{}
	stopping   bool
	killed     bool // the last exit was a kill -9 of the schedule
	starts     int
	unexpected []exitNote // exits nobody asked for
	upSince    time.Time
}

// start launches the process. The child dies with the harness (SIGKILL on parent death)
// and gets its own process group, so a kill reaches only it.
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked()
}

func (p *proc) startLocked() error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "\n==== %s start %d at %s\n", p.name, p.starts+1, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd, p.done, p.killed = cmd, make(chan struct{}), false
	p.starts++
	p.upSince = time.Now()
	done := p.done
	go func() {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		if !p.stopping && !p.killed {
			p.unexpected = append(p.unexpected, exitNote{time.Now(), fmt.Sprintf("%s exited on its own: %v%s", p.name, err, lastLine(p.logPath))})
		}
		restart := p.supervised && !p.stopping
		p.mu.Unlock()
		close(done)
		if restart {
			time.Sleep(p.restartDelay)
			p.mu.Lock()
			if !p.stopping && p.done == done {
				if err := p.startLocked(); err != nil {
					p.unexpected = append(p.unexpected, exitNote{time.Now(), err.Error()})
				}
			}
			p.mu.Unlock()
		}
	}()
	return nil
}

// kill9 sends SIGKILL, as the schedule's fault; a supervised proc comes back by itself.
func (p *proc) kill9() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return errors.New("not running")
	}
	select {
	case <-p.done:
		return errors.New("not running")
	default:
	}
	p.killed = true
	return p.cmd.Process.Signal(syscall.SIGKILL)
}

// wait blocks until the current process exits or d passes.
func (p *proc) wait(d time.Duration) bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// stop ends the process for good: SIGTERM, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	p.stopping = true
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// running reports whether the process is up now.
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// exitNote is an exit nobody asked for, with the last line the process wrote.
type exitNote struct {
	at   time.Time
	text string
}

func (p *proc) unexpectedExits() []exitNote {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]exitNote(nil), p.unexpected...)
}

// lastLine is the last line of a log file (what a crashing service said), or "".
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	l := lines[len(lines)-1]
	if len(l) > 160 {
		l = l[:160] + "…"
	}
	return " — " + l
}

// resume starts a stopped, unsupervised proc again (the NATS node brought back).
func (p *proc) resume() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopping = false
	return p.startLocked()
}

var probeClient = &http.Client{Timeout: 500 * time.Millisecond}

// ready asks the replica's /readyz.
func (p *proc) ready() bool {
	if p.readyURL == "" || !p.running() {
		return false
	}
	resp, err := probeClient.Get(p.readyURL)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
