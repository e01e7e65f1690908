package batch

import (
	"reflect"
	"strings"
	"testing"
	"time"

	batchapi "kurator.dev/kurator/pkg/apis/batch"
)

// TestStateRoundTrip: what a controller writes after each transition reads back the same.
func TestStateRoundTrip(t *testing.T) {
	j := job("j", "hi", 0, 1, "cpu=1")
	steps := []func(){
		func() {},
		func() { ApplyRelease(&j, Release{Cluster: "m1"}, t0) },
		func() { ApplyRequeue(&j, Requeue{Attempts: 1, NotBefore: t0.Add(time.Minute)}) },
		func() { ApplyRelease(&j, Release{Cluster: "m2"}, t0.Add(2*time.Minute)) },
		func() { ApplyRunning(&j, t0.Add(3*time.Minute)) },
		func() { ApplyEviction(&j, t0.Add(time.Hour)) },
	}
	for i, step := range steps {
		step()
		var back Job
		if err := DecodeState(Annotations(&j, nil, nil), &back); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		want := [...]any{j.State, j.DispatchedAt, j.LastStarted, j.LastPreempted, j.Attempts, j.NotBefore}
		got := [...]any{back.State, back.DispatchedAt, back.LastStarted, back.LastPreempted, back.Attempts, back.NotBefore}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("step %d: decoded %v, want %v", i, got, want)
		}
	}
	if j.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 dispatches", j.Attempts)
	}
}

func TestAnnotationsStatus(t *testing.T) {
	j := job("j", "hi", 0, 1, "cpu=1")
	st := JobStatus{Reason: ReasonUnknownQueue, Message: "no such queue"}
	pr := Prediction{Known: true, Start: t0, Finish: t0.Add(time.Hour)}
	ann := Annotations(&j, &st, &pr)
	want := map[string]string{
		batchapi.AnnotationState: "Rejected", batchapi.AnnotationReason: "UnknownQueue", batchapi.AnnotationMessage: "no such queue",
		batchapi.AnnotationPredictedStart: "2030-01-01T12:00:00Z", batchapi.AnnotationPredictedFinish: "2030-01-01T13:00:00Z",
	}
	if !reflect.DeepEqual(ann, want) {
		t.Errorf("annotations = %v, want %v", ann, want)
	}
	for k := range ann {
		found := false
		for _, key := range AnnotationKeys() {
			found = found || key == k
		}
		if !found {
			t.Errorf("AnnotationKeys misses %s", k)
		}
	}
}

func TestDecodeStateErrors(t *testing.T) {
	cases := map[string]map[string]string{
		"not a state":             {batchapi.AnnotationState: "Sleeping"},
		"not a time":              {batchapi.AnnotationNextAttemptAt: "soon"},
		"negative attempts":       {batchapi.AnnotationAttempts: "-1"},
		"running without cluster": {batchapi.AnnotationState: "Running", AnnotationStartedAt: "2030-01-01T12:00:00Z"},
		"dispatched without time": {batchapi.AnnotationState: "Dispatched", batchapi.AnnotationCluster: "m1"},
	}
	for name, ann := range cases {
		var j Job
		err := DecodeState(ann, &j)
		if err == nil || !strings.Contains(err.Error(), "batch.kurator.dev/") {
			t.Errorf("%s: error %v, want one naming the annotation", name, err)
		}
	}
	var j Job
	if err := DecodeState(nil, &j); err != nil || j.State.Phase != PhaseQueued {
		t.Errorf("no annotations: %v, phase %q; want a queued job", err, j.State.Phase)
	}
	if err := DecodeState(map[string]string{batchapi.AnnotationState: "Succeeded"}, &j); err != nil || j.State.Phase != PhaseFinished {
		t.Errorf("succeeded: %v, phase %q; want Finished", err, j.State.Phase)
	}
}
