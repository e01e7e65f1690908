package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	karmadaplugins "github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"

	"kurator.dev/kurator/pkg/scheduler"
	"kurator.dev/kurator/pkg/scheduler/framework"
	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/scheduler/workload"
	"kurator.dev/kurator/pkg/telemetry"
)

// debug prints the unschedulable workloads.
var debug = false

// usageFactor is the share of its requests a new workload uses: all of them, which is also
// what ClusterUtilization predicts.
const usageFactor = 1.0

// result is what one scheduler did with the same workloads on the same fleet.
type result struct {
	name string
	// p99 is the traffic-weighted p99 latency of the placed workloads' requests to their
	// peers, ms; crossShare the share of that traffic leaving the workload's cluster.
	p99, crossShare float64
	// sloMisses counts workloads with an SLO whose p99 to a peer exceeds it.
	sloMisses, withSLO int
	// overTarget counts placements that took a cluster above the utilization target while
	// another feasible cluster would have stayed at or below it with the workload.
	overTarget int
	// overClusters counts the distinct clusters of those placements.
	overClusters int
	// aboveAtEnd counts the clusters that started at or below the target and ended above it
	// while another cluster still has room below it for a typical workload.
	aboveAtEnd    int
	maxUtil       float64
	unschedulable int
	// why counts unschedulable workloads by reason: "no room below the ceilings", "SLO", other.
	why       map[string]int
	fleetUtil [2]float64 // fleet-wide utilization before and after
}

// simulation places requests one by one with a scheduler, updating the fleet and the
// telemetry after each placement, as the real fleet would between two bindings.
type simulation struct {
	f         *fleet
	byName    map[string]*service
	algo      core.ScheduleAlgorithm
	cache     *st.Fleet
	handle    *framework.StaticHandle
	templates *st.Templates
	target    float64
	now       time.Time
	start     []float64 // utilization before the first placement
}

func newSimulation(f *fleet, profile *scheduler.Profile, stock bool, target float64) (*simulation, error) {
	s := &simulation{f: f, byName: map[string]*service{}, target: target, now: time.Unix(1_700_000_000, 0),
		templates: &st.Templates{Annotations: map[string]map[string]string{}}}
	for _, svc := range f.services {
		s.byName[svc.name] = svc
	}
	for _, c := range f.clusters {
		s.start = append(s.start, c.utilization())
	}
	s.cache = st.NewFleet(s.clusters()...)
	s.handle = &framework.StaticHandle{TemplateGetter: s.templates, Clock: func() time.Time { return s.now }}
	var reg runtime.Registry
	if stock {
		reg = karmadaplugins.NewInTreeRegistry()
	} else {
		var err error
		if reg, err = profile.KarmadaRegistry(s.handle, karmadaplugins.NewInTreeRegistry()); err != nil {
			return nil, err
		}
	}
	algo, err := s.cache.GenericScheduler(reg)
	if err != nil {
		return nil, err
	}
	s.algo = algo
	return s, nil
}

// clusters renders the fleet as Karmada Clusters: allocatable and allocated (what the
// general estimator reads), network label, region and zone.
func (s *simulation) clusters() []*clusterv1alpha1.Cluster {
	var out []*clusterv1alpha1.Cluster
	for _, c := range s.f.clusters {
		kc := st.Cluster(c.name).Network(c.network).Locality("sim", c.region, c.zone).Obj()
		kc.Status.ResourceSummary = &clusterv1alpha1.ResourceSummary{
			Allocatable: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(c.cores*1000), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(c.memoryGi)<<30, resource.BinarySI),
				corev1.ResourcePods:   *resource.NewQuantity(5000, resource.DecimalSI),
			},
			Allocated: corev1.ResourceList{
				corev1.ResourceCPU:    *resource.NewMilliQuantity(int64(c.allocated*1000), resource.DecimalSI),
				corev1.ResourceMemory: *resource.NewQuantity(int64(c.allocated*2)<<30, resource.BinarySI),
			},
		}
		out = append(out, kc)
	}
	return out
}

// snapshot is what Thanos would answer now: utilization, the p99 of the pairs the mesh
// carries traffic between, and the service graph.
func (s *simulation) snapshot() *telemetry.Snapshot {
	util := map[corev1.ResourceName]map[string]telemetry.Sample{corev1.ResourceCPU: {}, corev1.ResourceMemory: {}}
	for _, c := range s.f.clusters {
		util[corev1.ResourceCPU][c.name] = telemetry.Sample{Value: c.utilization()}
		util[corev1.ResourceMemory][c.name] = telemetry.Sample{Value: 0.5 * c.allocated / c.cores}
	}
	lat := map[[2]string]telemetry.Sample{}
	for i, a := range s.f.clusters {
		for j, b := range s.f.clusters {
			if s.f.observed[i][j] {
				lat[[2]string{a.name, b.name}] = telemetry.Sample{Value: s.f.latency[i][j]}
			}
		}
	}
	var flows []telemetry.Flow
	for _, svc := range s.f.services {
		for _, e := range svc.peers {
			flows = append(flows, telemetry.Flow{
				SourceCluster: s.f.clusters[svc.cluster].name, SourceWorkload: svc.name, SourceNamespace: "default",
				DestinationCluster: s.f.clusters[e.peer.cluster].name, DestinationService: e.peer.name, DestinationNamespace: "default",
				Rate: telemetry.Sample{Value: e.rps},
			})
		}
	}
	return telemetry.NewSnapshot(telemetry.SnapshotData{Time: s.now, MaxSampleAge: time.Minute, Utilization: util, Latency: lat, Flows: flows})
}

// run places every request and measures the outcome.
func (s *simulation) run(ctx context.Context, name string, reqs []request) result {
	r := result{name: name, why: map[string]int{}}
	r.fleetUtil[0] = s.fleetUtilization()
	over := map[int]bool{}
	for i, q := range reqs {
		s.now = s.now.Add(10 * time.Second)
		clusters := s.clusters()
		for _, c := range clusters {
			s.cache.Update(c)
		}
		s.handle.ClusterGetter = st.Clusters(clusters)
		s.handle.Snapshot = s.snapshot()
		// The real snapshot changes every refresh interval, not per binding: index its
		// service graph before the clock starts.
		s.handle.Snapshot.Graph()
		var peers []string
		for _, p := range q.peers {
			peers = append(peers, fmt.Sprintf("%s.default=%g", p.name, p.rps))
		}
		ann := map[string]string{workload.AnnotationPeers: strings.Join(peers, ",")}
		if q.slo > 0 {
			ann[workload.AnnotationSLO] = fmt.Sprintf("%gms", q.slo)
		}
		s.templates.Annotations["default/"+q.name] = ann
		spec := st.Binding("default", q.name).Replicas(q.replicas, fmt.Sprint(q.cpu), "1Gi", "").SpreadToOne().Version(fmt.Sprint(i)).Obj()

		res, err := s.algo.Schedule(ctx, spec, &workv1alpha2.ResourceBindingStatus{}, &core.ScheduleAlgorithmOption{})
		if err != nil || len(res.SuggestedClusters) != 1 {
			r.unschedulable++
			switch msg := fmt.Sprint(err); {
			case strings.Contains(msg, "no enough resource"):
				r.why["no cluster under the ceilings had room"]++
			case strings.Contains(msg, "SLO"):
				r.why["no cluster met the SLO"]++
			default:
				r.why[msg]++
			}
			if debug {
				fmt.Printf("%s: %s unschedulable: %v %v\n", name, q.name, err, res.SuggestedClusters)
			}
			continue
		}
		ci := s.f.index[res.SuggestedClusters[0].Name]
		c := s.f.clusters[ci]
		load := float64(q.replicas) * q.cpu
		after := (c.used + usageFactor*load) / c.cores
		if after > s.target && s.someoneHasRoom(ci, load, q) {
			r.overTarget++
			over[ci] = true
		}
		c.allocated += load
		c.used += usageFactor * load
		svc := &service{name: q.name, cluster: ci, cores: load}
		for _, p := range q.peers {
			if peer, ok := s.byName[p.name]; ok { // a peer left unschedulable does not run
				s.f.connect(svc, peer, p.rps)
			}
		}
		s.byName[q.name] = svc
		s.f.services = append(s.f.services, svc)
	}
	r.overClusters = len(over)
	r.fleetUtil[1] = s.fleetUtilization()
	s.measure(&r, reqs)
	return r
}

func (s *simulation) fleetUtilization() float64 {
	var used, cores float64
	for _, c := range s.f.clusters {
		used += c.used
		cores += c.cores
	}
	return used / cores
}

// someoneHasRoom reports whether a cluster other than except would stay at or below the
// target with load more, with its requests fitting and the workload's SLO met: a cluster
// the workload could have gone to instead.
func (s *simulation) someoneHasRoom(except int, load float64, q request) bool {
	for i, c := range s.f.clusters {
		if i == except || (c.used+usageFactor*load)/c.cores > s.target || c.allocated+load > c.cores {
			continue
		}
		if q.slo > 0 && !s.meetsSLO(i, q) {
			continue
		}
		return true
	}
	return false
}

func (s *simulation) meetsSLO(cluster int, q request) bool {
	for _, p := range q.peers {
		if peer, ok := s.byName[p.name]; ok && s.f.latency[cluster][peer.cluster] > q.slo {
			return false
		}
	}
	return true
}

func (s *simulation) measure(r *result, reqs []request) {
	var sum, weight, cross float64
	for _, q := range reqs {
		svc, ok := s.byName[q.name]
		if !ok {
			continue
		}
		missed := false
		for _, e := range svc.peers {
			l := s.f.latency[svc.cluster][e.peer.cluster]
			sum += e.rps * l
			weight += e.rps
			if e.peer.cluster != svc.cluster {
				cross += e.rps
			}
			missed = missed || q.slo > 0 && l > q.slo
		}
		if q.slo > 0 {
			r.withSLO++
			if missed {
				r.sloMisses++
			}
		}
	}
	if weight > 0 {
		r.p99, r.crossShare = sum/weight, cross/weight
	}
	typical := 0.0
	for _, q := range reqs {
		typical += float64(q.replicas) * q.cpu * usageFactor
	}
	typical /= float64(len(reqs))
	room := false
	for _, c := range s.f.clusters {
		r.maxUtil = math.Max(r.maxUtil, c.utilization())
		room = room || (c.used+typical)/c.cores <= s.target
	}
	for i, c := range s.f.clusters {
		if c.utilization() > s.target && s.start[i] <= s.target && room {
			r.aboveAtEnd++
		}
	}
}
