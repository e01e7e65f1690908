package scheduler

import (
	"fmt"
	"sort"

	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"
	karmadaplugins "github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"

	"kurator.dev/kurator/pkg/scheduler/framework"
	"kurator.dev/kurator/pkg/telemetry"
	"kurator.dev/kurator/plugins/clusterutilization"
	"kurator.dev/kurator/plugins/fleetqueue"
	"kurator.dev/kurator/plugins/meshtopology"
	"kurator.dev/kurator/plugins/networklatency"
)

// TelemetryConfigName is the pluginConfig entry that configures the telemetry source the
// plugins share. It is not a plugin.
const TelemetryConfigName = "Telemetry"

// kuratorPlugin describes one of kurator's plugins.
type kuratorPlugin struct {
	name    string
	kind    string
	newArgs func() framework.Args
	build   func(args framework.Args, h framework.Handle) (karmadafw.Plugin, error)
	// filterOnly plugins have no score extension point.
	filterOnly bool
}

var kuratorPlugins = []kuratorPlugin{
	{
		name: clusterutilization.Name, kind: clusterutilization.Kind,
		newArgs: func() framework.Args { return &clusterutilization.Args{} },
		build: func(a framework.Args, h framework.Handle) (karmadafw.Plugin, error) {
			return clusterutilization.New(a.(*clusterutilization.Args), h), nil
		},
	},
	{
		name: networklatency.Name, kind: networklatency.Kind,
		newArgs: func() framework.Args { return &networklatency.Args{} },
		build: func(a framework.Args, h framework.Handle) (karmadafw.Plugin, error) {
			return networklatency.New(a.(*networklatency.Args), h), nil
		},
	},
	{
		name: meshtopology.Name, kind: meshtopology.Kind,
		newArgs: func() framework.Args { return &meshtopology.Args{} },
		build: func(a framework.Args, h framework.Handle) (karmadafw.Plugin, error) {
			return meshtopology.New(a.(*meshtopology.Args), h)
		},
	},
	{
		name: fleetqueue.Name, kind: fleetqueue.Kind, filterOnly: true,
		newArgs: func() framework.Args { return &fleetqueue.Args{} },
		build: func(framework.Args, framework.Handle) (karmadafw.Plugin, error) {
			return fleetqueue.New(), nil
		},
	},
}

// pluginEntry is a plugin a profile may enable.
type pluginEntry struct {
	name          string
	filter, score bool // the extension points it implements
	inTree        runtime.PluginFactory
	kurator       *kuratorPlugin
}

// Catalog is the set of plugins kurator-scheduler can run: Karmada's in-tree plugins and
// kurator's.
type Catalog struct {
	entries map[string]*pluginEntry
}

// NewCatalog returns the catalog of Karmada's in-tree plugins in inTree (which depends on
// Karmada's feature gates) and kurator's plugins.
func NewCatalog(inTree runtime.Registry) (*Catalog, error) {
	c := &Catalog{entries: map[string]*pluginEntry{}}
	for name, factory := range inTree {
		p, err := factory()
		if err != nil {
			return nil, fmt.Errorf("inspecting Karmada plugin %s: %w", name, err)
		}
		_, f := p.(karmadafw.FilterPlugin)
		_, s := p.(karmadafw.ScorePlugin)
		c.entries[name] = &pluginEntry{name: name, filter: f, score: s, inTree: factory}
	}
	for i := range kuratorPlugins {
		k := &kuratorPlugins[i]
		if _, dup := c.entries[k.name]; dup {
			return nil, fmt.Errorf("plugin %s is both in Karmada's tree and kurator's", k.name)
		}
		c.entries[k.name] = &pluginEntry{name: k.name, filter: true, score: !k.filterOnly, kurator: k}
	}
	return c, nil
}

// DefaultCatalog is NewCatalog over Karmada's in-tree registry as the current feature gates
// make it.
func DefaultCatalog() *Catalog {
	c, err := NewCatalog(karmadaplugins.NewInTreeRegistry())
	if err != nil {
		panic(err) // Karmada's in-tree factories take no input and do not fail.
	}
	return c
}

// Names lists the plugins, sorted.
func (c *Catalog) Names() []string {
	out := make([]string, 0, len(c.entries))
	for n := range c.entries {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// argsKinds lists the pluginConfig names that take arguments, with their kinds.
func argsKinds() map[string]string {
	out := map[string]string{TelemetryConfigName: telemetry.ConfigKind}
	for _, k := range kuratorPlugins {
		out[k.name] = k.kind
	}
	return out
}
