package clustertelemetry

import (
	"context"
	"fmt"
	"sort"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/client-go/tools/cache"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
	fleetlisters "kurator.dev/kurator/pkg/generated/listers/fleet/v1alpha1"
	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
	"kurator.dev/kurator/pkg/telemetry"
)

// SourceLookup finds the running telemetry source of a URL; SourceManager implements it.
type SourceLookup interface {
	// Source returns the configuration and latest snapshot of the source of a URL, or why it
	// could not be started; ok is false when no source of that URL runs yet.
	Source(url string) (cfg telemetry.Config, snap *telemetry.Snapshot, startErr string, ok bool)
	// Trigger asks for the sources to be reconciled with the fleets soon.
	Trigger()
}

// Sources are what cluster telemetry is computed from.
type Sources struct {
	// Clusters lists the Karmada Clusters.
	Clusters fleetstorage.ClusterLister
	// Fleets lists the fleets, for their spec.telemetry.
	Fleets fleetlisters.FleetLister
	// FleetsSynced reports whether Fleets has been filled once.
	FleetsSynced cache.InformerSynced
	// Telemetry finds the source of a URL.
	Telemetry SourceLookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (s *Sources) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// REST serves the clustertelemetries resource: get and list only, computed on every read.
type REST struct {
	sources *Sources
	tableConvertor
}

var (
	_ rest.Storage              = &REST{}
	_ rest.Scoper               = &REST{}
	_ rest.Getter               = &REST{}
	_ rest.Lister               = &REST{}
	_ rest.ShortNamesProvider   = &REST{}
	_ rest.CategoriesProvider   = &REST{}
	_ rest.SingularNameProvider = &REST{}
)

// NewREST returns the storage of clustertelemetries over sources.
func NewREST(sources *Sources) *REST {
	return &REST{sources: sources, tableConvertor: tableConvertor{}}
}

// New returns an empty ClusterTelemetry.
func (r *REST) New() runtime.Object { return &telemetryapi.ClusterTelemetry{} }

// NewList returns an empty ClusterTelemetryList.
func (r *REST) NewList() runtime.Object { return &telemetryapi.ClusterTelemetryList{} }

// Destroy does nothing: the sources are stopped with the server.
func (r *REST) Destroy() {}

// NamespaceScoped is false: there is one ClusterTelemetry per Karmada Cluster.
func (r *REST) NamespaceScoped() bool { return false }

// GetSingularName returns clustertelemetry.
func (r *REST) GetSingularName() string { return "clustertelemetry" }

// ShortNames lets `kubectl get ct` list cluster telemetry.
func (r *REST) ShortNames() []string { return []string{"ct"} }

// Categories lets `kubectl get kurator` list cluster telemetry with kurator's other kinds.
func (r *REST) Categories() []string { return []string{"kurator"} }

// Get returns the telemetry of the Karmada Cluster of that name.
func (r *REST) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	clusters, fleets, err := r.lists()
	if err != nil {
		return nil, err
	}
	for _, c := range clusters {
		if c.Name == name {
			return r.sources.build(c, fleets, r.sources.now()), nil
		}
	}
	return nil, apierrors.NewNotFound(telemetryapi.Resource("clustertelemetries"), name)
}

// List returns the telemetry of every Karmada Cluster whose labels and name the selectors
// match, sorted by name.
func (r *REST) List(_ context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	label, field := labels.Everything(), fields.Everything()
	if options != nil {
		if options.LabelSelector != nil {
			label = options.LabelSelector
		}
		if options.FieldSelector != nil {
			field = options.FieldSelector
		}
	}
	clusters, fleets, err := r.lists()
	if err != nil {
		return nil, err
	}
	now := r.sources.now()
	list := &telemetryapi.ClusterTelemetryList{Items: []telemetryapi.ClusterTelemetry{}}
	for _, c := range clusters {
		if !label.Matches(labels.Set(c.Labels)) || !field.Matches(fields.Set{"metadata.name": c.Name}) {
			continue
		}
		list.Items = append(list.Items, *r.sources.build(c, fleets, now))
	}
	return list, nil
}

// lists returns the clusters sorted by name and the fleets sorted by name, or a 503 while
// either is not known yet.
func (r *REST) lists() ([]*clusterv1alpha1.Cluster, []*fleetv1alpha1.Fleet, error) {
	if !r.sources.Clusters.HasSynced() {
		return nil, nil, apierrors.NewServiceUnavailable("kurator-apiserver has not listed the Clusters of the Karmada apiserver yet; it keeps retrying (check its logs, --kubeconfig and RBAC)")
	}
	if !r.sources.FleetsSynced() {
		return nil, nil, apierrors.NewServiceUnavailable("kurator-apiserver has not listed its fleets yet; read again in a moment")
	}
	clusters, err := r.sources.Clusters.List()
	if err != nil {
		return nil, nil, apierrors.NewInternalError(fmt.Errorf("listing Karmada Clusters: %w", err))
	}
	fleets, err := r.sources.Fleets.List(labels.Everything())
	if err != nil {
		return nil, nil, apierrors.NewInternalError(fmt.Errorf("listing fleets: %w", err))
	}
	clusters = append([]*clusterv1alpha1.Cluster(nil), clusters...)
	sort.Slice(clusters, func(i, j int) bool { return clusters[i].Name < clusters[j].Name })
	sort.Slice(fleets, func(i, j int) bool { return fleets[i].Name < fleets[j].Name })
	return clusters, fleets, nil
}

// build computes the ClusterTelemetry of a cluster; fleets are sorted by name.
func (s *Sources) build(c *clusterv1alpha1.Cluster, fleets []*fleetv1alpha1.Fleet, now time.Time) *telemetryapi.ClusterTelemetry {
	in := s.input(c, fleets, now)
	ct := &telemetryapi.ClusterTelemetry{
		ObjectMeta: metav1.ObjectMeta{Name: c.Name, Labels: copyLabels(c.Labels), CreationTimestamp: metav1.NewTime(now)},
		Status:     ComputeStatus(in),
	}
	return ct
}

// input gathers what a cluster's telemetry is computed from.
func (s *Sources) input(c *clusterv1alpha1.Cluster, fleets []*fleetv1alpha1.Fleet, now time.Time) *Input {
	in := &Input{Cluster: c.Name, Now: now}
	var first *fleetv1alpha1.Fleet
	for _, f := range fleets {
		t := f.Spec.Telemetry
		if t == nil || t.ThanosQueryURL == "" || !IsMember(&f.Spec, c) {
			continue
		}
		if first == nil {
			first = f
			continue
		}
		in.OtherFleets = append(in.OtherFleets, f.Name)
	}
	if first == nil {
		return in
	}
	t := first.Spec.Telemetry
	in.Fleet, in.URL, in.ClusterLabel = first.Name, t.ThanosQueryURL, t.ClusterLabel
	mapping := make([]telemetry.ClusterNameMapping, 0, len(t.ClusterMapping))
	for _, m := range t.ClusterMapping {
		mapping = append(mapping, telemetry.ClusterNameMapping{Cluster: m.Cluster, ThanosCluster: m.ThanosCluster, IstioClusterID: m.IstioClusterID})
	}
	cfg, snap, startErr, ok := s.Telemetry.Source(t.ThanosQueryURL)
	if ok {
		// The source's merged configuration is what its answers are read with.
		in.ClusterLabel, mapping = cfg.ClusterLabel, cfg.ClusterMapping
		in.Snapshot, in.SourceError = snap, startErr
	} else {
		s.Telemetry.Trigger()
	}
	in.ThanosCluster, in.IstioClusterID = c.Name, c.Name
	for _, m := range mapping {
		if m.Cluster != c.Name {
			continue
		}
		if m.ThanosCluster != "" {
			in.ThanosCluster = m.ThanosCluster
		}
		if m.IstioClusterID != "" {
			in.IstioClusterID = m.IstioClusterID
		}
	}
	return in
}

// IsMember reports whether a fleet includes a cluster: named in spec.clusters or selected by
// spec.clusterSelector (a selector that does not parse selects nothing).
func IsMember(spec *fleetv1alpha1.FleetSpec, c *clusterv1alpha1.Cluster) bool {
	for _, name := range spec.Clusters {
		if name == c.Name {
			return true
		}
	}
	if spec.ClusterSelector == nil {
		return false
	}
	selector, err := metav1.LabelSelectorAsSelector(spec.ClusterSelector)
	return err == nil && selector.Matches(labels.Set(c.Labels))
}

func copyLabels(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
