package fleetqueue

import (
	"strings"
	"testing"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	schedulercache "github.com/karmada-io/karmada/pkg/scheduler/cache"
	"github.com/karmada-io/karmada/pkg/scheduler/core"
	karmadafw "github.com/karmada-io/karmada/pkg/scheduler/framework"
	karmadaplugins "github.com/karmada-io/karmada/pkg/scheduler/framework/plugins"
	"github.com/karmada-io/karmada/pkg/scheduler/framework/runtime"
	"github.com/karmada-io/karmada/pkg/util/names"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
	st "kurator.dev/kurator/pkg/scheduler/testing"
)

// volcanoSpec is the binding spec of Volcano Job ns/name.
func volcanoSpec(ns, name string) *workv1alpha2.ResourceBindingSpec {
	return &workv1alpha2.ResourceBindingSpec{
		Resource: workv1alpha2.ObjectReference{
			APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Namespace: ns, Name: name, UID: types.UID("uid-" + name),
		},
		Placement: &policyv1alpha1.Placement{},
	}
}

// binding is the ResourceBinding of spec with annotations.
func binding(spec *workv1alpha2.ResourceBindingSpec, annotations map[string]string) *workv1alpha2.ResourceBinding {
	return &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: spec.Resource.Namespace, Name: names.GenerateBindingName(spec.Resource.Kind, spec.Resource.Name),
			Annotations: annotations,
		},
		Spec: *spec,
	}
}

func indexer(t *testing.T, bindings ...*workv1alpha2.ResourceBinding) cache.Indexer {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, rb := range bindings {
		if err := idx.Add(rb); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

func pin(cluster string) map[string]string {
	return map[string]string{batchapi.AnnotationCluster: cluster}
}

func TestFilterWithContext(t *testing.T) {
	job := volcanoSpec("ml", "train")
	other := volcanoSpec("ml", "other")
	otherUID := volcanoSpec("ml", "train")
	otherUID.Resource.UID = "a-newer-job-of-the-same-name"
	cases := []struct {
		name    string
		spec    *workv1alpha2.ResourceBindingSpec
		idx     cache.Indexer
		cluster string
		fits    bool
		reason  string
	}{
		{name: "pinned cluster fits", spec: job, idx: indexer(t, binding(job, pin("tencent"))), cluster: "tencent", fits: true},
		{name: "another cluster does not", spec: job, idx: indexer(t, binding(job, pin("tencent"))), cluster: "aliyun",
			reason: "the fleet queue dispatched this Volcano Job to cluster tencent"},
		{name: "no pin: no opinion", spec: job, idx: indexer(t, binding(job, map[string]string{batchapi.AnnotationState: "Queued"})), cluster: "aliyun", fits: true},
		{name: "empty pin: no opinion", spec: job, idx: indexer(t, binding(job, pin(""))), cluster: "aliyun", fits: true},
		{name: "binding not in the cache: no opinion", spec: job, idx: indexer(t, binding(other, pin("tencent"))), cluster: "aliyun", fits: true},
		{name: "a binding of another object with that name: no opinion", spec: otherUID, idx: indexer(t, binding(job, pin("tencent"))), cluster: "aliyun", fits: true},
		{name: "no cache: no opinion", spec: job, idx: nil, cluster: "aliyun", fits: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fc := &karmadafw.FilterContext{
				Context: t.Context(), BindingSpec: tc.spec, BindingStatus: &workv1alpha2.ResourceBindingStatus{},
				Cluster:                &clusterv1alpha1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: tc.cluster}},
				ResourceBindingIndexer: tc.idx,
			}
			res := New().FilterWithContext(fc)
			if res.IsSuccess() != tc.fits {
				t.Fatalf("fits = %v (%v), want %v", res.IsSuccess(), res.AsError(), tc.fits)
			}
			if !tc.fits && (res.Code() != karmadafw.Unschedulable || !strings.Contains(strings.Join(res.Reasons(), ";"), tc.reason)) {
				t.Errorf("result %v %v, want Unschedulable with %q", res.Code(), res.Reasons(), tc.reason)
			}
		})
	}
	if res := New().Filter(t.Context(), job, nil, &clusterv1alpha1.Cluster{}); !res.IsSuccess() {
		t.Errorf("Filter without the binding cache = %v, want no opinion", res.AsError())
	}
}

// volcanoCluster is a ready Push cluster that serves Volcano Jobs.
func volcanoCluster(name string) *clusterv1alpha1.Cluster {
	c := st.Cluster(name).Capacity("64", "256Gi", "0", "0").Obj()
	c.Status.APIEnablements = append(c.Status.APIEnablements, clusterv1alpha1.APIEnablement{
		GroupVersion: "batch.volcano.sh/v1alpha1", Resources: []clusterv1alpha1.APIResource{{Name: "jobs", Kind: "Job"}},
	})
	return c
}

// TestKarmadaSchedulesToThePin runs Karmada's own scheduling algorithm with its in-tree
// plugins and FleetQueue: a Volcano Job whose placement allows every member (duplicated,
// as Karmada treats Volcano Jobs without replica scheduling) goes to the pinned member
// only; without a pin it would go to all of them.
func TestKarmadaSchedulesToThePin(t *testing.T) {
	fleet := st.NewFleet(volcanoCluster("aliyun"), volcanoCluster("edge"), volcanoCluster("tencent"))
	job := volcanoSpec("ml", "train")
	free := volcanoSpec("ml", "free")
	rbIndexer := indexer(t, binding(job, pin("tencent")), binding(free, nil))
	reg := karmadaplugins.NewInTreeRegistry()
	if err := reg.Register(Name, func() (karmadafw.Plugin, error) { return New(), nil }); err != nil {
		t.Fatal(err)
	}
	algo, err := core.NewGenericScheduler(schedulercache.NewCache(fleet.Lister(), rbIndexer, 0), runtime.Registry(reg))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec *workv1alpha2.ResourceBindingSpec
		want string
	}{{job, "tencent"}, {free, "aliyun,edge,tencent"}} {
		res, err := algo.Schedule(t.Context(), tc.spec, &workv1alpha2.ResourceBindingStatus{}, &core.ScheduleAlgorithmOption{})
		if err != nil {
			t.Fatalf("%s: %v", tc.spec.Resource.Name, err)
		}
		var got []string
		for _, c := range res.SuggestedClusters {
			got = append(got, c.Name)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s scheduled to %v, want %s", tc.spec.Resource.Name, got, tc.want)
		}
	}

	// Pinned to a member its placement excludes: nothing fits, and the reason says why.
	job.Placement.ClusterAffinity = &policyv1alpha1.ClusterAffinity{ClusterNames: []string{"aliyun"}}
	if _, err := algo.Schedule(t.Context(), job, &workv1alpha2.ResourceBindingStatus{}, &core.ScheduleAlgorithmOption{}); err == nil ||
		!strings.Contains(err.Error(), "fleet queue dispatched this Volcano Job to cluster tencent") {
		t.Errorf("scheduling a job pinned outside its placement: %v, want a fit error naming the pin", err)
	}
}
