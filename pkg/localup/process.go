package localup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one program of the environment.
type Process struct {
	// Name identifies the process in logs, state and progress lines (e.g. "aliyun-apiserver").
	Name   string
	Binary string
	Args   []string
	Env    []string
	// Ports are the ports the process listens on; they must be free before it starts.
	Ports []int
	// Ready reports nil once the process serves; it is polled until ReadyTimeout.
	Ready        func(ctx context.Context) error
	ReadyTimeout time.Duration
}

// ProcessRecord is what the state file remembers of a started process, enough to find it
// again (pid plus kernel start time, so a recycled pid is never mistaken for it).
type ProcessRecord struct {
	Name      string   `json:"name"`
	PID       int      `json:"pid"`
	StartTime uint64   `json:"startTime"`
	Command   []string `json:"command"`
	// Env is what the process's environment adds to kurator-up's (Process.Env).
	Env   []string `json:"env,omitempty"`
	Log   string   `json:"log"`
	Ports []int    `json:"ports,omitempty"`
	// Order is the start order; down stops processes in reverse order.
	Order int `json:"order"`
	// BinaryModTime is the modification time of the binary when the process started, so a
	// rebuilt binary is noticed.
	BinaryModTime time.Time `json:"binaryModTime"`
}

// State is the state file of an environment.
type State struct {
	Scenario  string                   `json:"scenario"`
	Processes map[string]ProcessRecord `json:"processes"`
}

// Supervisor starts processes detached from the terminal, records them in the state file and
// stops exactly the processes it recorded.
type Supervisor struct {
	logDir    string
	statePath string

	mu      sync.Mutex
	state   State
	exited  map[string]chan struct{}
	exitErr map[string]error
	// startedNow are the processes this run started, in order, for clean-up on failure.
	startedNow []string

	// OnRestart, when set, is told about a running process restarted because it is stale.
	OnRestart func(name, why string)
}

// NewSupervisor loads the state file (if any) of an environment.
func NewSupervisor(statePath, logDir string) (*Supervisor, error) {
	s := &Supervisor{
		logDir:    logDir,
		statePath: statePath,
		state:     State{Processes: map[string]ProcessRecord{}},
		exited:    map[string]chan struct{}{},
		exitErr:   map[string]error{},
	}
	data, err := os.ReadFile(statePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("reading state file %s: %w", statePath, err)
	default:
		if err := json.Unmarshal(data, &s.state); err != nil {
			return nil, fmt.Errorf("state file %s is corrupt (delete it after stopping the processes it lists): %w", statePath, err)
		}
		if s.state.Processes == nil {
			s.state.Processes = map[string]ProcessRecord{}
		}
	}
	return s, nil
}

// Records returns the recorded processes in start order.
func (s *Supervisor) Records() []ProcessRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessRecord, 0, len(s.state.Processes))
	for _, r := range s.state.Processes {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}

// SetScenario records the scenario the environment runs.
func (s *Supervisor) SetScenario(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Scenario = name
	return s.saveLocked()
}

// Scenario returns the recorded scenario name.
func (s *Supervisor) Scenario() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state.Scenario
}

// Running reports whether the recorded process of that name is alive.
func (s *Supervisor) Running(name string) bool {
	s.mu.Lock()
	rec, ok := s.state.Processes[name]
	s.mu.Unlock()
	return ok && Alive(rec)
}

// LogPath returns the log file of a process.
func (s *Supervisor) LogPath(name string) string {
	return filepath.Join(s.logDir, name+".log")
}

// Start starts the process unless a recorded instance is alive and current. A running
// instance whose command line changed or whose binary was rebuilt since is restarted. It
// reports whether it started one.
func (s *Supervisor) Start(p *Process) (bool, error) {
	if s.Running(p.Name) {
		why := s.staleReason(p)
		if why == "" {
			return false, nil
		}
		if s.OnRestart != nil {
			s.OnRestart(p.Name, why)
		}
		if err := s.Stop(p.Name); err != nil {
			return false, err
		}
	}
	for _, port := range p.Ports {
		if err := CheckPortFree(port, p.Name); err != nil {
			return false, err
		}
	}
	if _, err := os.Stat(p.Binary); err != nil {
		return false, fmt.Errorf("%s: binary %s is missing: run `make tools` (hack/build-tools.sh) to build the pinned tools, then retry: %w", p.Name, p.Binary, err)
	}
	logPath := s.LogPath(p.Name)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return false, fmt.Errorf("%s: opening log %s: %w", p.Name, logPath, err)
	}
	defer logFile.Close()
	fmt.Fprintf(logFile, "=== kurator-up %s: %s %s\n", time.Now().Format(time.RFC3339), p.Binary, strings.Join(p.Args, " "))

	cmd := exec.Command(p.Binary, p.Args...)
	cmd.Env = append(os.Environ(), p.Env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A session of its own: Ctrl-C in the terminal reaches kurator-up only, which decides what to stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("%s: starting %s: %w", p.Name, p.Binary, err)
	}
	binInfo, _ := os.Stat(p.Binary)
	startTime, err := processStartTime(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		return false, fmt.Errorf("%s: reading start time of pid %d: %w", p.Name, cmd.Process.Pid, err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.exited[p.Name] = done
	s.state.Processes[p.Name] = ProcessRecord{
		Name: p.Name, PID: cmd.Process.Pid, StartTime: startTime,
		Command: append([]string{p.Binary}, p.Args...), Env: p.Env, Log: logPath, Ports: p.Ports,
		Order: s.nextOrderLocked(), BinaryModTime: binInfo.ModTime(),
	}
	s.startedNow = append(s.startedNow, p.Name)
	err = s.saveLocked()
	s.mu.Unlock()
	go func() {
		werr := cmd.Wait()
		s.mu.Lock()
		s.exitErr[p.Name] = werr
		s.mu.Unlock()
		close(done)
	}()
	return true, err
}

// staleReason says why a running process no longer matches its definition, or "".
func (s *Supervisor) staleReason(p *Process) string {
	s.mu.Lock()
	rec := s.state.Processes[p.Name]
	s.mu.Unlock()
	want := append([]string{p.Binary}, p.Args...)
	if strings.Join(rec.Command, "\x00") != strings.Join(want, "\x00") {
		return "its command line changed"
	}
	if !slices.Equal(rec.Env, p.Env) {
		return "its environment changed"
	}
	if info, err := os.Stat(p.Binary); err == nil && !rec.BinaryModTime.IsZero() && !info.ModTime().Equal(rec.BinaryModTime) {
		return "its binary was rebuilt"
	}
	return ""
}

func (s *Supervisor) nextOrderLocked() int {
	n := 0
	for _, r := range s.state.Processes {
		if r.Order >= n {
			n = r.Order + 1
		}
	}
	return n
}

// WaitReady polls the process's readiness check until it passes, the process exits, the
// timeout passes or ctx ends. Failures carry the tail of the process's log.
func (s *Supervisor) WaitReady(ctx context.Context, p *Process) error {
	timeout := p.ReadyTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	deadline := time.Now().Add(timeout)
	s.mu.Lock()
	done := s.exited[p.Name]
	s.mu.Unlock()
	var last error
	for {
		if p.Ready == nil {
			return nil
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		last = p.Ready(cctx)
		cancel()
		if last == nil {
			return nil
		}
		if done != nil {
			select {
			case <-done:
				s.mu.Lock()
				werr := s.exitErr[p.Name]
				s.mu.Unlock()
				return fmt.Errorf("%s exited before it was ready (%v); last lines of %s:\n%s", p.Name, werr, s.LogPath(p.Name), Tail(s.LogPath(p.Name), 25))
			default:
			}
		} else if !s.Running(p.Name) {
			return fmt.Errorf("%s is not running; last lines of %s:\n%s", p.Name, s.LogPath(p.Name), Tail(s.LogPath(p.Name), 25))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready after %s (last check: %v); last lines of %s:\n%s", p.Name, timeout, last, s.LogPath(p.Name), Tail(s.LogPath(p.Name), 25))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", p.Name, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Exited returns a channel closed when a process started by this run exits, or nil.
func (s *Supervisor) Exited(name string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exited[name]
}

// StopStartedNow stops the processes this run started, newest first.
func (s *Supervisor) StopStartedNow() error {
	s.mu.Lock()
	names := append([]string(nil), s.startedNow...)
	s.mu.Unlock()
	var errs []error
	for i := len(names) - 1; i >= 0; i-- {
		errs = append(errs, s.Stop(names[i]))
	}
	return errors.Join(errs...)
}

// StopAll stops every recorded process, newest first, and empties the state.
func (s *Supervisor) StopAll() error {
	recs := s.Records()
	var errs []error
	for i := len(recs) - 1; i >= 0; i-- {
		errs = append(errs, s.Stop(recs[i].Name))
	}
	return errors.Join(errs...)
}

// Stop stops one recorded process (SIGTERM, then SIGKILL after 15 s) and forgets it. A
// recorded pid that now belongs to another program is left alone.
func (s *Supervisor) Stop(name string) error {
	s.mu.Lock()
	rec, ok := s.state.Processes[name]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	if Alive(rec) {
		signalGroup(rec.PID, syscall.SIGTERM)
		deadline := time.Now().Add(15 * time.Second)
		for Alive(rec) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if Alive(rec) {
			signalGroup(rec.PID, syscall.SIGKILL)
			for i := 0; i < 50 && Alive(rec); i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if Alive(rec) {
			return fmt.Errorf("%s (pid %d) did not stop", name, rec.PID)
		}
		// A Go process's main thread shows as a zombie while its other threads still hold
		// its sockets: give the ports a moment, so a restart does not find them in use.
		for _, port := range rec.Ports {
			for i := 0; i < 50 && CheckPortFree(port, name) != nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.state.Processes, name)
	return s.saveLocked()
}

// Kill sends SIGKILL to a recorded process without forgetting it, as a crash would.
func (s *Supervisor) Kill(name string) error {
	s.mu.Lock()
	rec, ok := s.state.Processes[name]
	s.mu.Unlock()
	if !ok || !Alive(rec) {
		return fmt.Errorf("%s is not running", name)
	}
	signalGroup(rec.PID, syscall.SIGKILL)
	for i := 0; i < 100 && Alive(rec); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func signalGroup(pid int, sig syscall.Signal) {
	// Each process leads its own session and group: signal the group so helpers it forked go too.
	if err := syscall.Kill(-pid, sig); err != nil {
		_ = syscall.Kill(pid, sig)
	}
}

func (s *Supervisor) saveLocked() error {
	data, err := json.MarshalIndent(s.state, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.statePath), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(s.statePath), err)
	}
	tmp := s.statePath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing state file: %w", err)
	}
	return os.Rename(tmp, s.statePath)
}

// Alive reports whether the recorded process still runs: same pid, same kernel start time,
// not a zombie.
func Alive(rec ProcessRecord) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", rec.PID))
	if err != nil {
		return false
	}
	state, start, err := parseStat(stat)
	return err == nil && start == rec.StartTime && state != 'Z' && state != 'X'
}

func processStartTime(pid int) (uint64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, start, err := parseStat(stat)
	return start, err
}

// parseStat returns the state and start time (field 22) of /proc/<pid>/stat. The command
// name (field 2) is in parentheses and may contain spaces, so fields count from the last ')'.
func parseStat(stat []byte) (byte, uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0, 0, fmt.Errorf("malformed stat %q", stat)
	}
	fields := strings.Fields(string(stat[i+2:]))
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 {
		return 0, 0, fmt.Errorf("malformed stat %q", stat)
	}
	start, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("malformed start time in stat: %w", err)
	}
	return fields[0][0], start, nil
}

// ProcessMemory returns the resident set size of a process and its proportional share (PSS,
// which splits pages shared between processes, such as three instances of one binary), in bytes.
func ProcessMemory(pid int) (rss, pss int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, perr := strconv.ParseInt(f[1], 10, 64)
		if perr != nil {
			continue
		}
		switch f[0] {
		case "Rss:":
			rss = kb * 1024
		case "Pss:":
			pss = kb * 1024
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("no Rss in smaps_rollup of pid %d", pid)
	}
	return rss, pss, nil
}

// Tail returns the last n lines of a file (or a note that it cannot be read).
func Tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("  (cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i := range lines {
		lines[i] = "  | " + lines[i]
	}
	return strings.Join(lines, "\n")
}
