package scheduler

import (
	"context"
	"fmt"
	"sort"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"

	"kurator.dev/kurator/pkg/scheduler/framework"
)

// WrapperPrefix starts the names under which Karmada's in-tree plugins are registered again
// when a profile weighs them or runs them at one of their extension points only: Karmada
// refuses a second plugin with an in-tree name, so the wrapper gets its own and the
// original is left out of --plugins.
const WrapperPrefix = "kurator/"

// Registry returns the plugins to register with Karmada's scheduler (app.WithPlugin) and
// the value of its --plugins flag, which enables exactly the profile's plugins.
func (p *Profile) Registry(h framework.Handle) (runtime.Registry, []string, error) {
	reg := runtime.Registry{}
	var enabled []string
	for _, s := range p.Plugins {
		e := p.catalog.entries[s.Name]
		native := s.Filter == e.filter && s.Score == e.score && s.Weight == 1
		if e.inTree != nil && native {
			enabled = append(enabled, s.Name)
			continue
		}
		name := s.Name
		if e.inTree != nil {
			name = WrapperPrefix + s.Name
		}
		factory := p.factory(s, h)
		if native {
			if err := reg.Register(name, factory); err != nil {
				return nil, nil, err
			}
		} else {
			setting := s
			if err := reg.Register(name, func() (karmadafw.Plugin, error) {
				inner, err := factory()
				if err != nil {
					return nil, err
				}
				return adapt(name, inner, setting)
			}); err != nil {
				return nil, nil, err
			}
		}
		enabled = append(enabled, name)
	}
	sort.Strings(enabled)
	return reg, enabled, nil
}

// factory builds the unwrapped plugin of a setting.
func (p *Profile) factory(s PluginSetting, h framework.Handle) runtime.PluginFactory {
	e := p.catalog.entries[s.Name]
	if e.inTree != nil {
		return e.inTree
	}
	k, args := e.kurator, p.Args[s.Name]
	return func() (karmadafw.Plugin, error) {
		pl, err := k.build(args, h)
		if err != nil {
			return nil, fmt.Errorf("building plugin %s: %w", s.Name, err)
		}
		return pl, nil
	}
}

// adapt exposes inner under name at the setting's extension points only, its score
// multiplied by the setting's weight. Karmada finds a plugin's extension points by the
// interfaces it implements, hence one type per combination.
func adapt(name string, inner karmadafw.Plugin, s PluginSetting) (karmadafw.Plugin, error) {
	var fa *filterAdapter
	var sa *scoreAdapter
	if s.Filter {
		f, ok := inner.(karmadafw.FilterPlugin)
		if !ok {
			return nil, fmt.Errorf("plugin %s has no filter extension point", s.Name)
		}
		fa = &filterAdapter{name: name, f: f}
	}
	if s.Score {
		sp, ok := inner.(karmadafw.ScorePlugin)
		if !ok {
			return nil, fmt.Errorf("plugin %s has no score extension point", s.Name)
		}
		sa = &scoreAdapter{name: name, s: sp}
		if ext := sp.ScoreExtensions(); ext != nil || s.Weight != 1 {
			sa.ext = &weightedNormalizer{inner: ext, weight: s.Weight}
		}
	}
	switch {
	case fa != nil && sa != nil:
		return &filterScoreAdapter{filterAdapter: fa, scoreAdapter: sa}, nil
	case fa != nil:
		return fa, nil
	case sa != nil:
		return sa, nil
	}
	return nil, fmt.Errorf("plugin %s is enabled at no extension point", s.Name)
}

type filterAdapter struct {
	name string
	f    karmadafw.FilterPlugin
}

// Name implements karmadafw.Plugin.
func (a *filterAdapter) Name() string { return a.name }

// Filter implements karmadafw.FilterPlugin.
func (a *filterAdapter) Filter(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, status *workv1alpha2.ResourceBindingStatus, c *clusterv1alpha1.Cluster) *karmadafw.Result {
	return a.f.Filter(ctx, spec, status, c)
}

// FilterWithContext implements karmadafw.FilterPluginWithContext, which Karmada prefers: it
// reaches the inner plugin's FilterWithContext when it has one.
func (a *filterAdapter) FilterWithContext(fc *karmadafw.FilterContext) *karmadafw.Result {
	return runFilter(a.f, fc)
}

// runFilter runs a filter plugin as Karmada's framework does: FilterWithContext when the
// plugin implements it (FleetQueue, which reads the binding cache), Filter otherwise.
func runFilter(f karmadafw.FilterPlugin, fc *karmadafw.FilterContext) *karmadafw.Result {
	if fwc, ok := f.(karmadafw.FilterPluginWithContext); ok {
		return fwc.FilterWithContext(fc)
	}
	return f.Filter(fc.Context, fc.BindingSpec, fc.BindingStatus, fc.Cluster)
}

type scoreAdapter struct {
	name string
	s    karmadafw.ScorePlugin
	ext  karmadafw.ScoreExtensions
}

// Name implements karmadafw.Plugin.
func (a *scoreAdapter) Name() string { return a.name }

// Score implements karmadafw.ScorePlugin: the unweighted score; the weight is applied after
// normalization, as kube-scheduler does.
func (a *scoreAdapter) Score(ctx context.Context, spec *workv1alpha2.ResourceBindingSpec, c *clusterv1alpha1.Cluster) (int64, *karmadafw.Result) {
	return a.s.Score(ctx, spec, c)
}

// ScoreExtensions implements karmadafw.ScorePlugin.
func (a *scoreAdapter) ScoreExtensions() karmadafw.ScoreExtensions {
	if a.ext == nil {
		return nil
	}
	return a.ext
}

type filterScoreAdapter struct {
	*filterAdapter
	*scoreAdapter
}

// Name implements karmadafw.Plugin.
func (a *filterScoreAdapter) Name() string { return a.filterAdapter.name }

// weightedNormalizer runs the inner plugin's normalization, then multiplies by the weight.
type weightedNormalizer struct {
	inner  karmadafw.ScoreExtensions
	weight int64
}

// NormalizeScore implements karmadafw.ScoreExtensions.
func (w *weightedNormalizer) NormalizeScore(ctx context.Context, scores karmadafw.ClusterScoreList) *karmadafw.Result {
	if w.inner != nil {
		if res := w.inner.NormalizeScore(ctx, scores); !res.IsSuccess() {
			return res
		}
	}
	if w.weight != 1 {
		for i := range scores {
			scores[i].Score *= w.weight
		}
	}
	return nil
}

// KarmadaRegistry returns the registry Karmada's scheduler ends up with for this profile:
// its in-tree registry (inTree, from karmadaplugins.NewInTreeRegistry) merged with
// Registry's plugins and filtered by the --plugins list, exactly as karmada-scheduler
// builds it. Simulations and tests run Karmada's generic scheduler over it.
func (p *Profile) KarmadaRegistry(h framework.Handle, inTree runtime.Registry) (runtime.Registry, error) {
	reg, enabled, err := p.Registry(h)
	if err != nil {
		return nil, err
	}
	merged := runtime.Registry{}
	if err := merged.Merge(inTree); err != nil {
		return nil, err
	}
	if err := merged.Merge(reg); err != nil {
		return nil, fmt.Errorf("registering kurator's plugins with Karmada's: %w", err)
	}
	return merged.Filter(enabled), nil
}
