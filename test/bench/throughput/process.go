package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// clockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// schedulerProc is a scheduler process the bench started.
type schedulerProc struct {
	name    string
	cmd     *exec.Cmd
	log     *os.File
	health  string // http://addr/healthz
	metrics string // http://addr/metrics
	pprof   string // http://addr, "" without profiling
	done    chan struct{}
}

// schedulerSpec is how to start one of the two schedulers.
type schedulerSpec struct {
	// label is "stock" or "kurator".
	label string
	// schedulerName is what the bindings' spec.schedulerName must say.
	schedulerName string
	binary        string
	// args are the flags that differ between the two (profile, telemetry, scheduler name).
	args []string
}

// freePort returns a loopback port nothing listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startScheduler starts s with the flags both schedulers share and waits for its health probe.
func startScheduler(ctx context.Context, s schedulerSpec, common []string, logDir string, profiling bool) (*schedulerProc, error) {
	var ports [3]int
	for i := range ports {
		p, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ports[i] = p
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	args := append([]string{}, common...)
	args = append(args, "--metrics-bind-address="+addr(ports[0]), "--health-probe-bind-address="+addr(ports[1]))
	p := &schedulerProc{name: s.label, health: "http://" + addr(ports[1]) + "/healthz", metrics: "http://" + addr(ports[0]) + "/metrics", done: make(chan struct{})}
	if profiling {
		args = append(args, "--enable-pprof=true", "--profiling-bind-address="+addr(ports[2]))
		p.pprof = "http://" + addr(ports[2])
	}
	args = append(args, s.args...)
	log, err := os.Create(filepath.Join(logDir, s.label+"-scheduler.log"))
	if err != nil {
		return nil, err
	}
	p.log = log
	fmt.Fprintf(log, "# %s %s\n", s.binary, strings.Join(args, " "))
	cmd := exec.Command(s.binary, args...) //nolint:gosec // the bench runs the scheduler binaries it is told to compare
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", s.binary, err)
	}
	p.cmd = cmd
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := p.waitHealthy(ctx, 60*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

func (p *schedulerProc) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s scheduler exited during startup; see %s", p.name, p.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := client.Get(p.health)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s scheduler not healthy after %s (%s); see %s", p.name, timeout, last, p.log.Name())
}

// cpu returns the process's user and system CPU time so far.
func (p *schedulerProc) cpu() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name may contain spaces; the fields after it are space separated.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat: %q", s)
	}
	fields := strings.Fields(s[i+1:])
	// fields[0] is the state (field 3); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat: %q", s)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc stat: %q", s)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rss returns the resident set size in bytes.
func (p *schedulerProc) rss() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// scrape reads the scheduler's metrics endpoint.
func (p *schedulerProc) scrape() (metricSet, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(p.metrics)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics of %s: %s", p.name, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", p.name, err)
	}
	return families, nil
}

// metricSet is one scrape of a scheduler's metrics, by family name.
type metricSet map[string]*dto.MetricFamily

// value returns the sum over the series of a counter or gauge family, 0 when absent.
func (m metricSet) value(name string) float64 {
	total := 0.0
	if f := m[name]; f != nil {
		for _, s := range f.GetMetric() {
			switch {
			case s.Counter != nil:
				total += s.GetCounter().GetValue()
			case s.Gauge != nil:
				total += s.GetGauge().GetValue()
			case s.Untyped != nil:
				total += s.GetUntyped().GetValue()
			}
		}
	}
	return total
}

// histogram returns the sum and count over the series of a histogram family.
func (m metricSet) histogram(name string) (sum, count float64) {
	if f := m[name]; f != nil {
		for _, s := range f.GetMetric() {
			sum += s.GetHistogram().GetSampleSum()
			count += float64(s.GetHistogram().GetSampleCount())
		}
	}
	return sum, count
}

// profile fetches a CPU profile of the next d into path.
func (p *schedulerProc) profile(d time.Duration, path string) error {
	client := &http.Client{Timeout: d + 30*time.Second}
	resp, err := client.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.pprof, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("profile of %s: %s", p.name, resp.Status)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	_, err = io.Copy(out, resp.Body)
	return err
}

// stop terminates the process (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (p *schedulerProc) stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			fmt.Printf("%s scheduler (pid %d) did not exit after SIGKILL\n", p.name, p.cmd.Process.Pid)
		}
	}
	_ = p.log.Close()
}
