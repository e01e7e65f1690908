package localup

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStatHandlesSpacesInTheCommand(t *testing.T) {
	stat := []byte("1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615")
	state, start, err := parseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if state != 'S' || start != 987654 {
		t.Fatalf("state %c start %d, want S 987654", state, start)
	}
	if _, _, err := parseStat([]byte("garbage")); err == nil {
		t.Fatal("malformed stat accepted")
	}
}

func TestSupervisorStartsStopsAndReportsExits(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	dir := t.TempDir()
	sup, err := NewSupervisor(filepath.Join(dir, "state.json"), dir)
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{Name: "sleeper", Binary: sleep, Args: []string{"300"}, Ready: func(context.Context) error { return nil }}
	started, err := sup.Start(p)
	if err != nil || !started {
		t.Fatalf("start: %v %v", started, err)
	}
	if started, err := sup.Start(p); err != nil || started {
		t.Fatalf("a second start must reuse the running process: %v %v", started, err)
	}
	// A new supervisor (another kurator-up run) finds it through the state file.
	again, err := NewSupervisor(filepath.Join(dir, "state.json"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Running("sleeper") {
		t.Fatal("the state file does not show the running process")
	}
	rec := again.Records()[0]
	if err := again.Stop("sleeper"); err != nil {
		t.Fatal(err)
	}
	if Alive(rec) {
		t.Fatal("process still alive after Stop")
	}
	if len(again.Records()) != 0 {
		t.Fatal("stopped process still recorded")
	}

	// A process that exits before it is ready is reported with its log tail.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	failing := &Process{Name: "failing", Binary: sh, Args: []string{"-c", "echo boom: bad flag; exit 3"},
		Ready: func(context.Context) error { return errors.New("not yet") }, ReadyTimeout: 20 * time.Second}
	if _, err := sup.Start(failing); err != nil {
		t.Fatal(err)
	}
	err = sup.WaitReady(t.Context(), failing)
	if err == nil || !strings.Contains(err.Error(), "failing exited") || !strings.Contains(err.Error(), "boom: bad flag") {
		t.Fatalf("error = %v, want the exit and the log tail", err)
	}
}

func TestStartNamesABusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	sup, err := NewSupervisor(filepath.Join(dir, "state.json"), dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sup.Start(&Process{Name: "x", Binary: "/bin/true", Ports: []int{port}})
	if err == nil || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" (for x) is in use") {
		t.Fatalf("error = %v, want the busy port named", err)
	}
}

func TestStartRestartsAProcessWhoseCommandChanged(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	dir := t.TempDir()
	sup, err := NewSupervisor(filepath.Join(dir, "state.json"), dir)
	if err != nil {
		t.Fatal(err)
	}
	var restarted []string
	sup.OnRestart = func(name, why string) { restarted = append(restarted, name+": "+why) }
	if _, err := sup.Start(&Process{Name: "s", Binary: sleep, Args: []string{"300"}}); err != nil {
		t.Fatal(err)
	}
	first := sup.Records()[0]
	started, err := sup.Start(&Process{Name: "s", Binary: sleep, Args: []string{"301"}})
	if err != nil || !started {
		t.Fatalf("start with new arguments: started=%v err=%v", started, err)
	}
	if Alive(first) {
		t.Error("the stale instance still runs")
	}
	if len(restarted) != 1 || !strings.Contains(restarted[0], "command line changed") {
		t.Errorf("restarts reported: %v", restarted)
	}
	// The same command with another environment (a memory limit, say) is stale too; the
	// same environment again is not.
	second := sup.Records()[0]
	if started, err := sup.Start(&Process{Name: "s", Binary: sleep, Args: []string{"301"}, Env: []string{"GOMEMLIMIT=1GiB"}}); err != nil || !started {
		t.Fatalf("start with a new environment: started=%v err=%v", started, err)
	}
	if Alive(second) {
		t.Error("the instance with the old environment still runs")
	}
	if started, err := sup.Start(&Process{Name: "s", Binary: sleep, Args: []string{"301"}, Env: []string{"GOMEMLIMIT=1GiB"}}); err != nil || started {
		t.Fatalf("start with the same environment: started=%v err=%v; want the running one kept", started, err)
	}
	if len(restarted) != 2 || !strings.Contains(restarted[1], "environment changed") {
		t.Errorf("restarts reported: %v", restarted)
	}
	if err := sup.StopAll(); err != nil {
		t.Fatal(err)
	}
}
