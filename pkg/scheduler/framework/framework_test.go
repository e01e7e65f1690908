package framework

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"

	"kurator.dev/kurator/pkg/telemetry"
)

type testArgs struct {
	Target    int               `json:"target,omitempty"`
	Nested    struct{ A int }   `json:"nested,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	defaulted bool
}

func (a *testArgs) SetDefaults() {
	a.defaulted = true
	if a.Target == 0 {
		a.Target = 60
	}
}

func (a *testArgs) Validate(p *field.Path) field.ErrorList {
	if a.Target > 100 {
		return field.ErrorList{field.Invalid(p.Child("target"), a.Target, "must be at most 100")}
	}
	return nil
}

func TestDecodeArgs(t *testing.T) {
	p := field.NewPath("args")
	for _, tc := range []struct {
		raw, want string
		target    int
	}{
		{raw: "", target: 60},
		{raw: "null", target: 60},
		{raw: `{"target": 70}`, target: 70},
		{raw: `{"apiVersion": "config.kurator.dev/v1alpha1", "kind": "TestArgs", "target": 70}`, target: 70},
		{raw: `{"kind": "OtherArgs"}`, want: "args.kind: Unsupported value"},
		{raw: `{"apiVersion": "v1"}`, want: "args.apiVersion: Unsupported value"},
		{raw: `{"target": 70, "tagret": 1}`, want: "args.tagret: Invalid value"},
		{raw: `{"nested": {"B": 1}}`, want: "args.nested.B"},
		{raw: `{"target": 1, "target": 2}`, want: "args.target: Duplicate value"},
		{raw: `{"target": "x"}`, want: "cannot decode TestArgs"},
		{raw: `[1]`, want: "must be an object"},
		{raw: `{"target": 170}`, want: "args.target: Invalid value: 170"},
	} {
		a := &testArgs{}
		errs := DecodeArgs([]byte(tc.raw), APIVersion, "TestArgs", a, p)
		if tc.want == "" {
			if len(errs) > 0 || a.Target != tc.target || !a.defaulted {
				t.Errorf("%s: errs %v, args %+v", tc.raw, errs, a)
			}
			continue
		}
		if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.want) {
			t.Errorf("%s: errs %v; want %q", tc.raw, errs, tc.want)
		}
	}
}

func TestBindingKey(t *testing.T) {
	spec := &workv1alpha2.ResourceBindingSpec{Resource: workv1alpha2.ObjectReference{UID: "u", ResourceVersion: "1"}}
	snap := telemetry.Empty()
	k := KeyOf(spec, snap)
	if !k.Matches(spec, snap) {
		t.Error("a key does not match its inputs")
	}
	copied := *spec
	if k.Matches(&copied, snap) || k.Matches(spec, telemetry.Empty()) {
		t.Error("a key matches another spec or snapshot")
	}
	spec.Resource.ResourceVersion = "2"
	if k.Matches(spec, snap) {
		t.Error("a key matches a newer template version")
	}
}

func TestStaticHandle(t *testing.T) {
	var h, other StaticHandle
	if h.Telemetry() != other.Telemetry() || h.Names() == nil || h.Templates() != nil || h.Clusters() != nil || h.Now().IsZero() {
		t.Error("zero StaticHandle")
	}
}
