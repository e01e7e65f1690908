package scheduler

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	configv1 "k8s.io/kube-scheduler/config/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/telemetry"
)

// Profile configuration identity.
const (
	ConfigAPIVersion = "kubescheduler.config.k8s.io/v1"
	ConfigKind       = "KubeSchedulerConfiguration"
	// MaxWeight bounds score plugin weights.
	MaxWeight = 100
)

// PluginSetting is how a profile runs one plugin.
type PluginSetting struct {
	// Name of the plugin.
	Name string
	// Filter and Score say at which extension points the plugin runs.
	Filter, Score bool
	// Weight multiplies the plugin's score, 1..100.
	Weight int64
	// InTree says the plugin is one of Karmada's.
	InTree bool
}

// Profile is a loaded, defaulted and validated scheduler profile: the plugins to run, their
// arguments and the telemetry source.
type Profile struct {
	// SchedulerName is profiles[0].schedulerName, "" when not set.
	SchedulerName string
	// Plugins are the plugins enabled at filter or score, sorted by name.
	Plugins []PluginSetting
	// Telemetry configures the telemetry source (pluginConfig "Telemetry"), defaulted.
	Telemetry telemetry.Config
	// Args are the defaulted, validated arguments of kurator's plugins by name.
	Args map[string]framework.Args
	// Flags are Karmada scheduler flags set by the file's leaderElection and
	// clientConnection; the command line takes precedence.
	Flags map[string]string

	catalog *Catalog
}

// Plugin returns the setting of a plugin.
func (p *Profile) Plugin(name string) (PluginSetting, bool) {
	for _, s := range p.Plugins {
		if s.Name == name {
			return s, true
		}
	}
	return PluginSetting{}, false
}

// usesTelemetry reports whether a kurator plugin is enabled.
func (p *Profile) usesTelemetry() bool {
	for _, s := range p.Plugins {
		if !s.InTree {
			return true
		}
	}
	return false
}

// LoadProfile reads a KubeSchedulerConfiguration file.
func LoadProfile(path string, catalog *Catalog) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the scheduler profile: %w", err)
	}
	p, err := ParseProfile(data, catalog)
	if err != nil {
		return nil, fmt.Errorf("scheduler profile %s: %w", path, err)
	}
	return p, nil
}

// DefaultProfile is the profile of an empty configuration: every plugin at every extension
// point it implements, weight 1, default arguments.
func DefaultProfile(catalog *Catalog) *Profile {
	p, err := ParseProfile([]byte("apiVersion: "+ConfigAPIVersion+"\nkind: "+ConfigKind+"\n"), catalog)
	if err != nil {
		panic(err) // defaults are valid
	}
	return p
}

// ParseProfile parses a KubeSchedulerConfiguration (YAML or JSON). Errors name the field:
// profiles[0].plugins.score.enabled[1].weight, profiles[0].pluginConfig[2].args.targetPercent.
func ParseProfile(data []byte, catalog *Catalog) (*Profile, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	var cfg configv1.KubeSchedulerConfiguration
	strict, err := kjson.UnmarshalStrict(js, &cfg)
	if err != nil {
		return nil, fmt.Errorf("not a %s: %w", ConfigKind, err)
	}
	var errs field.ErrorList
	for _, e := range strict {
		errs = append(errs, field.Invalid(field.NewPath(""), "", e.Error()))
	}
	if cfg.APIVersion != ConfigAPIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), cfg.APIVersion, []string{ConfigAPIVersion}))
	}
	if cfg.Kind != ConfigKind {
		errs = append(errs, field.NotSupported(field.NewPath("kind"), cfg.Kind, []string{ConfigKind}))
	}
	errs = append(errs, unsupportedTopLevel(&cfg)...)
	p := &Profile{Args: map[string]framework.Args{}, Flags: componentFlags(&cfg), catalog: catalog}
	var prof configv1.KubeSchedulerProfile
	switch len(cfg.Profiles) {
	case 0:
	case 1:
		prof = cfg.Profiles[0]
	default:
		errs = append(errs, field.Invalid(field.NewPath("profiles"), len(cfg.Profiles),
			"must hold one profile: Karmada runs one profile per scheduler; run one kurator-scheduler per profile, each with its own schedulerName"))
	}
	pp := field.NewPath("profiles").Index(0)
	if prof.SchedulerName != nil {
		p.SchedulerName = *prof.SchedulerName
	}
	if prof.PercentageOfNodesToScore != nil {
		errs = append(errs, field.Forbidden(pp.Child("percentageOfNodesToScore"), "Karmada scores every feasible cluster"))
	}
	settings, perrs := resolvePlugins(prof.Plugins, catalog, pp.Child("plugins"))
	errs = append(errs, perrs...)
	p.Plugins = settings
	errs = append(errs, p.decodeArgs(prof.PluginConfig, pp.Child("pluginConfig"))...)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return p, nil
}

func unsupportedTopLevel(cfg *configv1.KubeSchedulerConfiguration) field.ErrorList {
	var errs field.ErrorList
	forbid := func(set bool, name, why string) {
		if set {
			errs = append(errs, field.Forbidden(field.NewPath(name), why))
		}
	}
	forbid(cfg.Parallelism != nil, "parallelism", "not supported by Karmada's scheduler")
	forbid(cfg.PercentageOfNodesToScore != nil, "percentageOfNodesToScore", "Karmada scores every feasible cluster")
	forbid(cfg.PodInitialBackoffSeconds != nil, "podInitialBackoffSeconds", "use Karmada's --rate-limiter-* flags")
	forbid(cfg.PodMaxBackoffSeconds != nil, "podMaxBackoffSeconds", "use Karmada's --rate-limiter-* flags")
	forbid(len(cfg.Extenders) > 0, "extenders", "Karmada has no scheduler extenders; write a plugin")
	forbid(cfg.DelayCacheUntilActive, "delayCacheUntilActive", "not supported by Karmada's scheduler")
	return errs
}

// componentFlags maps the file's leaderElection and clientConnection to Karmada's flags.
func componentFlags(cfg *configv1.KubeSchedulerConfiguration) map[string]string {
	flags := map[string]string{}
	le := cfg.LeaderElection
	if le.LeaderElect != nil {
		flags["leader-elect"] = strconv.FormatBool(*le.LeaderElect)
	}
	for flag, v := range map[string]string{
		"leader-elect-resource-name":      le.ResourceName,
		"leader-elect-resource-namespace": le.ResourceNamespace,
		"kubeconfig":                      cfg.ClientConnection.Kubeconfig,
	} {
		if v != "" {
			flags[flag] = v
		}
	}
	for flag, d := range map[string]int64{
		"leader-elect-lease-duration": int64(le.LeaseDuration.Duration),
		"leader-elect-renew-deadline": int64(le.RenewDeadline.Duration),
		"leader-elect-retry-period":   int64(le.RetryPeriod.Duration),
	} {
		if d != 0 {
			flags[flag] = fmt.Sprintf("%dns", d)
		}
	}
	if q := cfg.ClientConnection.QPS; q != 0 {
		flags["kube-api-qps"] = strconv.FormatFloat(float64(q), 'f', -1, 32)
	}
	if b := cfg.ClientConnection.Burst; b != 0 {
		flags["kube-api-burst"] = strconv.Itoa(int(b))
	}
	return flags
}

// resolvePlugins applies a profile's plugins section to the defaults (every plugin at every
// extension point it implements, weight 1) the way kube-scheduler does: multiPoint first,
// then each extension point's disabled list ("*" disables all defaults) and enabled list
// (which adds a plugin or sets a default plugin's weight).
func resolvePlugins(plugins *configv1.Plugins, catalog *Catalog, p *field.Path) ([]PluginSetting, field.ErrorList) {
	r := newResolver(catalog)
	if plugins != nil {
		r.forbidOtherPoints(plugins, p)
		mp := p.Child("multiPoint")
		r.disable(r.filter, plugins.MultiPoint.Disabled, mp.Child("disabled"))
		r.disable(r.score, plugins.MultiPoint.Disabled, mp.Child("disabled"))
		for i, pl := range plugins.MultiPoint.Enabled {
			r.enableMultiPoint(pl, mp.Child("enabled").Index(i))
		}
		fp := p.Child("filter")
		r.disable(r.filter, plugins.Filter.Disabled, fp.Child("disabled"))
		for i, pl := range plugins.Filter.Enabled {
			r.enableFilter(pl, fp.Child("enabled").Index(i))
		}
		sp := p.Child("score")
		r.disable(r.score, plugins.Score.Disabled, sp.Child("disabled"))
		for i, pl := range plugins.Score.Enabled {
			r.enableScore(pl, sp.Child("enabled").Index(i))
		}
	}
	return r.settings(), r.errs
}

// point is a plugin at one extension point.
type point struct {
	on     bool
	weight int64
}

// pluginResolver accumulates the plugins enabled at filter and score.
type pluginResolver struct {
	catalog       *Catalog
	filter, score map[string]*point
	errs          field.ErrorList
}

func newResolver(catalog *Catalog) *pluginResolver {
	r := &pluginResolver{catalog: catalog, filter: map[string]*point{}, score: map[string]*point{}}
	for name, e := range catalog.entries {
		if e.filter {
			r.filter[name] = &point{on: true}
		}
		if e.score {
			r.score[name] = &point{on: true, weight: 1}
		}
	}
	return r
}

func (r *pluginResolver) forbidOtherPoints(plugins *configv1.Plugins, p *field.Path) {
	for name, set := range map[string]configv1.PluginSet{
		"queueSort": plugins.QueueSort, "preEnqueue": plugins.PreEnqueue, "preFilter": plugins.PreFilter,
		"postFilter": plugins.PostFilter, "preScore": plugins.PreScore, "reserve": plugins.Reserve,
		"permit": plugins.Permit, "preBind": plugins.PreBind, "bind": plugins.Bind, "postBind": plugins.PostBind,
	} {
		if len(set.Enabled)+len(set.Disabled) > 0 {
			r.errs = append(r.errs, field.Forbidden(p.Child(name), "Karmada's scheduling framework has only filter and score extension points"))
		}
	}
}

// known returns a plugin of the catalog, or records an error naming the field.
func (r *pluginResolver) known(fp *field.Path, name string) *pluginEntry {
	e, ok := r.catalog.entries[name]
	if !ok {
		r.errs = append(r.errs, field.NotSupported(fp.Child("name"), name, r.catalog.Names()))
	}
	return e
}

func (r *pluginResolver) weight(fp *field.Path, w *int32) int64 {
	if w == nil || *w == 0 {
		return 1
	}
	if *w < 0 || *w > MaxWeight {
		r.errs = append(r.errs, field.Invalid(fp.Child("weight"), *w, fmt.Sprintf("must be 1 to %d", MaxWeight)))
	}
	return int64(*w)
}

// disable turns plugins off at one extension point; disabling a point a plugin does not
// implement is harmless.
func (r *pluginResolver) disable(set map[string]*point, list []configv1.Plugin, lp *field.Path) {
	for i, pl := range list {
		if pl.Name == "*" {
			for _, pt := range set {
				pt.on = false
			}
			continue
		}
		if e := r.known(lp.Index(i), pl.Name); e != nil && set[pl.Name] != nil {
			set[pl.Name].on = false
		}
	}
}

// enableMultiPoint enables a plugin at every extension point it implements.
func (r *pluginResolver) enableMultiPoint(pl configv1.Plugin, ep *field.Path) {
	e := r.known(ep, pl.Name)
	if e == nil {
		return
	}
	w := r.weight(ep, pl.Weight)
	if e.filter {
		r.filter[pl.Name] = &point{on: true}
	}
	if e.score {
		r.score[pl.Name] = &point{on: true, weight: w}
	} else if pl.Weight != nil {
		r.errs = append(r.errs, field.Invalid(ep.Child("weight"), *pl.Weight, fmt.Sprintf("%s has no score extension point to weigh", pl.Name)))
	}
}

func (r *pluginResolver) enableFilter(pl configv1.Plugin, ep *field.Path) {
	e := r.known(ep, pl.Name)
	switch {
	case e == nil:
	case !e.filter:
		r.errs = append(r.errs, field.Invalid(ep.Child("name"), pl.Name, "has no filter extension point; enable it under score"))
	case pl.Weight != nil:
		r.errs = append(r.errs, field.Invalid(ep.Child("weight"), *pl.Weight, "weights apply to score plugins only"))
	default:
		r.filter[pl.Name] = &point{on: true}
	}
}

func (r *pluginResolver) enableScore(pl configv1.Plugin, ep *field.Path) {
	e := r.known(ep, pl.Name)
	switch {
	case e == nil:
	case !e.score:
		r.errs = append(r.errs, field.Invalid(ep.Child("name"), pl.Name, "has no score extension point; enable it under filter"))
	default:
		r.score[pl.Name] = &point{on: true, weight: r.weight(ep, pl.Weight)}
	}
}

// settings lists the enabled plugins by name.
func (r *pluginResolver) settings() []PluginSetting {
	var out []PluginSetting
	for _, name := range r.catalog.Names() {
		e := r.catalog.entries[name]
		s := PluginSetting{Name: name, InTree: e.inTree != nil, Weight: 1}
		if pt := r.filter[name]; pt != nil && pt.on {
			s.Filter = true
		}
		if pt := r.score[name]; pt != nil && pt.on {
			s.Score, s.Weight = true, pt.weight
		}
		if s.Filter || s.Score {
			out = append(out, s)
		}
	}
	return out
}

// decodeArgs decodes pluginConfig and defaults the arguments of the plugins it omits.
func (p *Profile) decodeArgs(configs []configv1.PluginConfig, cp *field.Path) field.ErrorList {
	var errs field.ErrorList
	kinds := argsKinds()
	seen := map[string]int{}
	raw := map[string][]byte{}
	for i, c := range configs {
		ip := cp.Index(i)
		if j, dup := seen[c.Name]; dup {
			errs = append(errs, field.Duplicate(ip.Child("name"), fmt.Sprintf("%s (also pluginConfig[%d])", c.Name, j)))
			continue
		}
		seen[c.Name] = i
		if _, ok := kinds[c.Name]; !ok {
			if _, inTree := p.catalog.entries[c.Name]; inTree {
				errs = append(errs, field.Invalid(ip.Child("name"), c.Name, "Karmada's in-tree plugins take no arguments"))
			} else {
				names := make([]string, 0, len(kinds))
				for n := range kinds {
					names = append(names, n)
				}
				sort.Strings(names)
				errs = append(errs, field.NotSupported(ip.Child("name"), c.Name, names))
			}
			continue
		}
		raw[c.Name] = c.Args.Raw
	}
	argsPath := func(name string) *field.Path {
		if i, ok := seen[name]; ok {
			return cp.Index(i).Child("args")
		}
		return cp.Key(name).Child("args")
	}
	p.Telemetry = telemetry.Config{}
	errs = append(errs, framework.DecodeArgs(raw[TelemetryConfigName], telemetry.ConfigAPIVersion, telemetry.ConfigKind, &p.Telemetry, argsPath(TelemetryConfigName))...)
	for _, k := range kuratorPlugins {
		a := k.newArgs()
		errs = append(errs, framework.DecodeArgs(raw[k.name], framework.APIVersion, k.kind, a, argsPath(k.name))...)
		p.Args[k.name] = a
	}
	return errs
}

// String renders the enabled plugins: "ClusterAffinity(filter,score×1) ...".
func (p *Profile) String() string {
	var b bytes.Buffer
	for i, s := range p.Plugins {
		if i > 0 {
			b.WriteByte(' ')
		}
		var points []string
		if s.Filter {
			points = append(points, "filter")
		}
		if s.Score {
			points = append(points, fmt.Sprintf("score×%d", s.Weight))
		}
		fmt.Fprintf(&b, "%s(%s)", s.Name, strings.Join(points, ","))
	}
	return b.String()
}
