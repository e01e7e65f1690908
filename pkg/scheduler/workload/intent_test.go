package workload

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	st "kurator.dev/kurator/pkg/scheduler/testing"
	"kurator.dev/kurator/pkg/telemetry"
)

var now = time.Unix(1_700_000_000, 0)

func ep(name, ns string) telemetry.Endpoint { return telemetry.Endpoint{Name: name, Namespace: ns} }

func TestParseIntent(t *testing.T) {
	for _, tc := range []struct {
		name         string
		annotations  map[string]string
		want         Intent
		wantProblems []string
	}{
		{name: "none", want: Intent{Self: ep("web", "shop"), Observe: true}},
		{
			name: "everything",
			annotations: map[string]string{
				AnnotationPeers: " core.default=400, model-server ,cart.shop.svc.cluster.local=2.5,,core.default=1",
				AnnotationSLO:   "30ms", AnnotationObserve: "false", AnnotationMeshRequired: "true", AnnotationName: "web-v2",
			},
			want: Intent{
				Self: ep("web-v2", "shop"),
				Peers: []PeerRef{
					{Endpoint: ep("core", "default"), Weight: 400},
					{Endpoint: ep("model-server", "shop")},
					{Endpoint: ep("cart", "shop"), Weight: 2.5},
				},
				SLO: 30 * time.Millisecond, Observe: false, RequireMesh: true,
			},
		},
		{
			name:        "malformed",
			annotations: map[string]string{AnnotationPeers: "core=-1,.x,y=abc", AnnotationSLO: "fast", AnnotationObserve: "maybe", AnnotationMeshRequired: "yes please"},
			want: Intent{
				Self:    ep("web", "shop"),
				Peers:   []PeerRef{{Endpoint: ep("core", "shop")}, {Endpoint: ep("y", "shop")}},
				Observe: true,
			},
			wantProblems: []string{"weight \"-1\"", `".x" is not name or name.namespace`, "weight \"abc\"", "not a duration", "observing traffic", AnnotationMeshRequired},
		},
		{name: "zero SLO", annotations: map[string]string{AnnotationSLO: "0s"}, want: Intent{Self: ep("web", "shop"), Observe: true}, wantProblems: []string{"must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseIntent("web", "shop", tc.annotations)
			problems := got.Problems
			got.Problems = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("intent (-want +got):\n%s", diff)
			}
			if len(problems) != len(tc.wantProblems) {
				t.Fatalf("problems = %q; want %d", problems, len(tc.wantProblems))
			}
			for i, p := range tc.wantProblems {
				if !strings.Contains(problems[i], p) {
					t.Errorf("problem %d = %q; want it to say %q", i, problems[i], p)
				}
			}
		})
	}
}

func graphSnapshot(flowAge time.Duration) *telemetry.Snapshot {
	at := now.Add(-flowAge).UnixMilli()
	flow := func(src, wl, dst, svc string, rps float64) telemetry.Flow {
		return telemetry.Flow{SourceCluster: src, SourceWorkload: wl, SourceNamespace: "default",
			DestinationCluster: dst, DestinationService: svc, DestinationNamespace: "default", Rate: telemetry.Sample{Value: rps, Time: at}}
	}
	return telemetry.NewSnapshot(telemetry.SnapshotData{Time: now, MaxSampleAge: time.Minute, Flows: []telemetry.Flow{
		flow("aliyun", "web", "aliyun", "core", 300),
		flow("tencent", "web", "aliyun", "core", 100),
		flow("aliyun", "core", "tencent", "model-server", 50),
		flow("edge", "sync", "aliyun", "core", 30),
		flow("edge", "sync", "", "model-server", 10), // destination cluster unknown
	}})
}

func TestResolvePeers(t *testing.T) {
	snap := graphSnapshot(0)
	idx := func(c string) int { i, _ := snap.Index(c); return i }
	loc := func(c string, rps float64) telemetry.Location { return telemetry.Location{Cluster: idx(c), Rate: rps} }

	// core: called by web (400) and sync (30), calls model-server (50).
	in := ParseIntent("core", "default", nil)
	got := ResolvePeers(&in, snap, now)
	want := []Peer{
		{Endpoint: ep("model-server", "default"), Weight: 50, ObservedRate: 50, Locations: []telemetry.Location{loc("tencent", 50)}},
		{Endpoint: ep("sync", "default"), Weight: 30, ObservedRate: 30, Locations: []telemetry.Location{loc("edge", 40)}},
		{Endpoint: ep("web", "default"), Weight: 400, ObservedRate: 400, Locations: []telemetry.Location{loc("aliyun", 300), loc("tencent", 100)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("observed peers (-want +got):\n%s", diff)
	}

	// A new workload declaring core (weight 10) and model-server (no weight: the mean, 10).
	in = ParseIntent("ai", "default", map[string]string{AnnotationPeers: "core=10,model-server,ai"})
	got = ResolvePeers(&in, snap, now)
	want = []Peer{
		{Endpoint: ep("core", "default"), Weight: 10, Declared: true, Locations: []telemetry.Location{loc("aliyun", 480)}},
		{Endpoint: ep("model-server", "default"), Weight: 10, Declared: true, Locations: []telemetry.Location{loc("tencent", 50)}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("declared peers (-want +got):\n%s", diff)
	}

	// A declared peer without weight that is also observed takes the observed rate.
	in = ParseIntent("sync", "default", map[string]string{AnnotationPeers: "core"})
	got = ResolvePeers(&in, snap, now)
	if len(got) != 2 || got[0].Weight != 30 || !got[0].Declared || got[1].Endpoint != ep("model-server", "default") || got[1].Weight != 10 {
		t.Errorf("declared and observed = %+v", got)
	}
	// Opting out of observation keeps the declared peer only, with weight 1.
	in = ParseIntent("sync", "default", map[string]string{AnnotationPeers: "core", AnnotationObserve: "false"})
	if got = ResolvePeers(&in, snap, now); len(got) != 1 || got[0].Weight != 1 {
		t.Errorf("not observing = %+v", got)
	}
	// Stale flows neither make peers nor locate them.
	in = ParseIntent("core", "default", map[string]string{AnnotationPeers: "web"})
	got = ResolvePeers(&in, graphSnapshot(2*time.Minute), now)
	if len(got) != 1 || len(got[0].Locations) != 0 || got[0].Weight != 1 {
		t.Errorf("stale graph = %+v", got)
	}
}

func TestResolver(t *testing.T) {
	templates := &st.Templates{Annotations: map[string]map[string]string{"default/ai": {AnnotationPeers: "core", AnnotationSLO: "20ms"}}}
	r := NewResolver(templates, true)
	snap := graphSnapshot(0)
	spec := st.Binding("default", "ai").Obj()
	w := r.Resolve(t.Context(), spec, snap, now)
	if w.SLO != 20*time.Millisecond || len(w.Peers) != 1 || w.TemplateError != "" {
		t.Errorf("workload = %+v", w)
	}
	if r.Resolve(t.Context(), spec, snap, now) != w || templates.Gets.Load() != 1 {
		t.Errorf("not cached: %d reads", templates.Gets.Load())
	}
	spec.Resource.ResourceVersion = "2"
	if r.Resolve(t.Context(), spec, snap, now) == w || templates.Gets.Load() != 2 {
		t.Error("a new template version was not read")
	}

	// An unreadable template leaves the observed peers.
	r = NewResolver(&st.Templates{Err: errors.New("forbidden")}, true)
	w = r.Resolve(t.Context(), st.Binding("default", "sync").Obj(), snap, now)
	if !strings.Contains(w.TemplateError, "forbidden") || len(w.Peers) != 2 {
		t.Errorf("workload = %+v", w)
	}
	// Observation off in the profile wins over the template.
	r = NewResolver(nil, false)
	if w = r.Resolve(t.Context(), st.Binding("default", "sync").Obj(), snap, now); len(w.Peers) != 0 || w.TemplateError == "" {
		t.Errorf("workload = %+v", w)
	}
}
