package validation_test

import (
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"

	"kurator.dev/kurator/pkg/apis/fleet"
	"kurator.dev/kurator/pkg/apis/fleet/install"
	"kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/apis/fleet/validation"
)

// FuzzDecodeValidate feeds arbitrary JSON through what the API server does with a request
// body: strict decoding into v1alpha1.Fleet, defaulting, conversion to the internal version
// and validation. None of it may panic, and whatever decodes must survive a round trip
// (internal → v1alpha1 → JSON → v1alpha1) unchanged.
//
// Run it with: go test ./pkg/apis/fleet/validation -run '^$' -fuzz FuzzDecodeValidate
func FuzzDecodeValidate(f *testing.F) {
	for _, seed := range []string{
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"prod"},"spec":{"clusters":["member1","member2"],` +
			`"clusterSelector":{"matchLabels":{"env":"prod"},"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]},` +
			`"telemetry":{"thanosQueryURL":"http://thanos-query.monitoring.svc:9090","clusterMapping":[{"cluster":"member1","thanosCluster":"m1","istioClusterID":"c1"}]},` +
			`"mesh":{"networks":[{"name":"net1","clusters":["member1"],"gateways":[{"address":"10.0.0.1","port":15443}]}]},` +
			`"batch":{"defaultQueue":"default","defaultPriorityClassName":"low","preemption":"LowerPriority"}}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a"},"spec":{"clusterSelector":{}}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a"},"spec":{"clusters":["x","x"],"telemetry":{"thanosQueryURL":"%zz"}}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a"},"spec":{"clusterSelector":{"matchExpressions":[{"key":"","operator":"Exists","values":["v"]}]}}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a"},"spec":{"mesh":{"networks":[{"gateways":[{"port":-1}]}]},"batch":{"preemption":"Always"}}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a"},"spec":null,"status":{"members":[{"name":"m","allocatable":{"cpu":"1e3"}}]}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a"},"spec":{"unknown":1}}`,
		`{"apiVersion":"fleet.kurator.dev/v1alpha1","kind":"Fleet","metadata":{"name":"a","name":"b"}}`,
		`{}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}

	scheme := runtime.NewScheme()
	install.Install(scheme)
	strict := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Strict: true})

	f.Fuzz(func(t *testing.T, data []byte) {
		versioned := &v1alpha1.Fleet{}
		if _, _, err := strict.Decode(data, nil, versioned); err != nil {
			return
		}
		scheme.Default(versioned)

		internal := &fleet.Fleet{}
		if err := scheme.Convert(versioned, internal, nil); err != nil {
			t.Fatalf("converting a decoded fleet to the internal version: %v", err)
		}
		errs := validation.ValidateFleet(internal)
		_ = validation.ValidateFleetUpdate(internal, internal.DeepCopy())
		_ = validation.ValidateFleetStatusUpdate(internal, internal.DeepCopy())
		for _, e := range errs {
			if e.Field == "" {
				t.Errorf("validation error without a field path: %v", e)
			}
		}

		back := &v1alpha1.Fleet{}
		if err := scheme.Convert(internal, back, nil); err != nil {
			t.Fatalf("converting back to v1alpha1: %v", err)
		}
		back.SetGroupVersionKind(versioned.GroupVersionKind())
		if !apiequality.Semantic.DeepEqual(versioned, back) {
			t.Fatalf("conversion round trip changed the fleet:\n before %#v\n after  %#v", versioned, back)
		}
		encoded, err := runtime.Encode(strict, back)
		if err != nil {
			t.Fatalf("encoding a decoded fleet: %v", err)
		}
		again := &v1alpha1.Fleet{}
		if _, _, err := strict.Decode(encoded, nil, again); err != nil {
			t.Fatalf("decoding an encoded fleet: %v\n%s", err, encoded)
		}
		if !apiequality.Semantic.DeepEqual(back, again) {
			t.Fatalf("JSON round trip changed the fleet:\n before %#v\n after  %#v\n%s", back, again, encoded)
		}
	})
}
