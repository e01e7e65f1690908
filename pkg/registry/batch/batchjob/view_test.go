package batchjob

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/utils/ptr"
	vcbatchv1alpha1 "volcano.sh/apis/pkg/apis/batch/v1alpha1"

	"kurator.dev/kurator/pkg/apis/batch"
)

var (
	now      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at       = func(d time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(d)} }
	rfc3339  = func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	estimate = func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
)

// env is a fleet with queues "train" and "infer", default queue "train", PriorityClasses
// "high" (1000) and "low" (10, the global default).
func env() *Environment {
	return &Environment{
		Queues:                     sets.New("train", "infer"),
		DefaultQueue:               "train",
		DefaultQueueFleet:          "prod",
		PriorityClasses:            map[string]int32{"high": 1000, "low": 10},
		GlobalDefaultPriorityClass: "low",
		DefaultRuntime:             time.Hour,
		Now:                        now,
	}
}

type jobOpt func(*vcbatchv1alpha1.Job)

func job(opts ...jobOpt) *vcbatchv1alpha1.Job {
	j := &vcbatchv1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Name: "resnet", Namespace: "ml", UID: "uid-1", Labels: map[string]string{"team": "vision"}, CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))}}
	for _, o := range opts {
		o(j)
	}
	return j
}

func annotated(k, v string) jobOpt {
	return func(j *vcbatchv1alpha1.Job) {
		if j.Annotations == nil {
			j.Annotations = map[string]string{}
		}
		j.Annotations[k] = v
	}
}

func priorityClass(name string) jobOpt {
	return func(j *vcbatchv1alpha1.Job) { j.Spec.PriorityClassName = name }
}

func runningEstimate(d time.Duration) jobOpt {
	return func(j *vcbatchv1alpha1.Job) { j.Spec.RunningEstimate = estimate(d) }
}

func phase(p vcbatchv1alpha1.JobPhase, since time.Duration) jobOpt {
	return func(j *vcbatchv1alpha1.Job) {
		j.Status.State = vcbatchv1alpha1.JobState{Phase: p, LastTransitionTime: *at(since)}
		if p == vcbatchv1alpha1.Running {
			j.Status.Conditions = append(j.Status.Conditions, vcbatchv1alpha1.JobCondition{Status: p, LastTransitionTime: at(since)})
		}
	}
}

type bindingOpt func(*workv1alpha2.ResourceBinding)

func binding(opts ...bindingOpt) *workv1alpha2.ResourceBinding {
	rb := &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "resnet-job", Namespace: "ml"},
		Spec: workv1alpha2.ResourceBindingSpec{Resource: workv1alpha2.ObjectReference{
			APIVersion: "batch.volcano.sh/v1alpha1", Kind: "Job", Namespace: "ml", Name: "resnet", UID: "uid-1",
		}},
	}
	for _, o := range opts {
		o(rb)
	}
	return rb
}

func decided(kv ...string) bindingOpt {
	return func(rb *workv1alpha2.ResourceBinding) {
		if rb.Annotations == nil {
			rb.Annotations = map[string]string{}
		}
		for i := 0; i+1 < len(kv); i += 2 {
			rb.Annotations[kv[i]] = kv[i+1]
		}
	}
}

func suspended(rb *workv1alpha2.ResourceBinding) {
	rb.Spec.Suspension = &workv1alpha2.Suspension{Scheduling: ptr.To(true)}
}

func scheduledTo(names ...string) bindingOpt {
	return func(rb *workv1alpha2.ResourceBinding) {
		for _, n := range names {
			rb.Spec.Clusters = append(rb.Spec.Clusters, workv1alpha2.TargetCluster{Name: n, Replicas: 1})
		}
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name    string
		job     *vcbatchv1alpha1.Job
		binding *workv1alpha2.ResourceBinding
		want    batch.BatchJobStatus
		// wantWarnings are substrings, one per warning, in order.
		wantWarnings []string
	}{
		{
			name: "no binding yet: queued, waiting for Karmada; fleet default queue and global default priority",
			job:  job(),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobQueued, Reason: batch.ReasonWaitingForResourceBinding,
				Message: "Karmada has not created a ResourceBinding for Job ml/resnet: a PropagationPolicy (or ClusterPropagationPolicy) must select it",
			},
		},
		{
			name:    "suspended binding, no decision yet: queued with live slack from deadline and estimate",
			job:     job(annotated(batch.AnnotationQueue, "infer"), annotated(batch.AnnotationDeadline, rfc3339(3*time.Hour)), priorityClass("high"), runningEstimate(time.Hour)),
			binding: binding(suspended),
			want: batch.BatchJobStatus{
				Queue: "infer", PriorityClassName: "high", Priority: 1000, Preemptable: true,
				Deadline: at(3 * time.Hour), RunningEstimate: estimate(time.Hour), Slack: estimate(2 * time.Hour),
				State: batch.BatchJobQueued, Reason: batch.ReasonWaitingForDispatch,
				Message:         "the binding's scheduling is suspended until the fleet-queue controller dispatches the job",
				ResourceBinding: "resnet-job",
			},
		},
		{
			name: "controller dispatched it: cluster, attempts, times and predictions from the binding's annotations",
			job:  job(annotated(batch.AnnotationDeadline, rfc3339(2*time.Hour)), runningEstimate(30*time.Minute), annotated(batch.AnnotationPreemptable, "false")),
			binding: binding(decided(
				batch.AnnotationState, "Dispatched", batch.AnnotationCluster, "aliyun", batch.AnnotationAttempts, "2",
				batch.AnnotationDispatchedAt, rfc3339(-time.Minute), batch.AnnotationReason, "Admitted", batch.AnnotationMessage, "aliyun's queue default admits it",
				batch.AnnotationPredictedStart, rfc3339(time.Minute), batch.AnnotationPredictedFinish, rfc3339(31*time.Minute),
			)),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: false,
				Deadline: at(2 * time.Hour), RunningEstimate: estimate(30 * time.Minute), Slack: estimate(90 * time.Minute),
				State: batch.BatchJobDispatched, Reason: "Admitted", Message: "aliyun's queue default admits it",
				Cluster: "aliyun", Attempts: 2, DispatchedAt: at(-time.Minute),
				PredictedStart: at(time.Minute), PredictedFinish: at(31 * time.Minute), ResourceBinding: "resnet-job",
			},
		},
		{
			name: "running in Volcano: slack counts only the remaining runtime; finish predicted from start and estimate",
			job: job(annotated(batch.AnnotationDeadline, rfc3339(time.Hour)), runningEstimate(90*time.Minute),
				phase(vcbatchv1alpha1.Running, -60*time.Minute)),
			binding: binding(decided(batch.AnnotationState, "Dispatched", batch.AnnotationCluster, "tencent", batch.AnnotationPredictedStart, rfc3339(-61*time.Minute))),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				Deadline: at(time.Hour), RunningEstimate: estimate(90 * time.Minute), Slack: estimate(30 * time.Minute),
				State: batch.BatchJobRunning, Reason: "Running", Cluster: "tencent",
				StartTime: at(-time.Hour), PredictedFinish: at(30 * time.Minute),
				ResourceBinding: "resnet-job", VolcanoPhase: "Running",
			},
		},
		{
			name: "requeued by the controller after preemption although Karmada still aggregates Running",
			job:  job(phase(vcbatchv1alpha1.Running, -10*time.Minute)),
			binding: binding(suspended, decided(batch.AnnotationState, "Queued", batch.AnnotationReason, "Preempted",
				batch.AnnotationMessage, "evicted from edge for ml/urgent", batch.AnnotationCluster, "edge",
				batch.AnnotationAttempts, "1", batch.AnnotationNextAttemptAt, rfc3339(5*time.Minute))),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobQueued, Reason: "Preempted", Message: "evicted from edge for ml/urgent",
				Attempts: 1, NextAttemptAt: at(5 * time.Minute), ResourceBinding: "resnet-job", VolcanoPhase: "Running",
			},
		},
		{
			name: "completed: succeeded with its completion time, no slack",
			job: job(annotated(batch.AnnotationDeadline, rfc3339(time.Hour)), phase(vcbatchv1alpha1.Running, -2*time.Hour),
				func(j *vcbatchv1alpha1.Job) {
					j.Status.State = vcbatchv1alpha1.JobState{Phase: vcbatchv1alpha1.Completed, Reason: "Completed", LastTransitionTime: *at(-time.Minute)}
				}),
			binding: binding(scheduledTo("edge"), decided(batch.AnnotationState, "Running", batch.AnnotationCluster, "edge")),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true, Deadline: at(time.Hour),
				State: batch.BatchJobSucceeded, Reason: "Completed", Cluster: "edge",
				StartTime: at(-2 * time.Hour), CompletionTime: at(-time.Minute), ResourceBinding: "resnet-job", VolcanoPhase: "Completed",
			},
		},
		{
			name:    "aborted counts as failed",
			job:     job(phase(vcbatchv1alpha1.Aborted, -time.Minute)),
			binding: binding(scheduledTo("edge")),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobFailed, Reason: "Aborted", Cluster: "edge", CompletionTime: at(-time.Minute),
				ResourceBinding: "resnet-job", VolcanoPhase: "Aborted",
			},
		},
		{
			name:    "unknown queue and unparseable deadline: rejected with both reasons and what to change",
			job:     job(annotated(batch.AnnotationQueue, "gpu-rush"), annotated(batch.AnnotationDeadline, "tomorrow")),
			binding: binding(suspended),
			want: batch.BatchJobStatus{
				Queue: "gpu-rush", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobRejected, Reason: batch.ReasonUnknownQueue,
				Message: `annotation batch.kurator.dev/queue names FleetQueue "gpu-rush", which does not exist: create it or annotate the job with an existing queue (kubectl get fleetqueues); ` +
					`annotation batch.kurator.dev/deadline="tomorrow" is not an RFC 3339 time such as 2026-01-02T15:04:05Z: fix or remove it`,
				ResourceBinding: "resnet-job",
			},
		},
		{
			name:    "controller rejection wins over everything",
			job:     job(),
			binding: binding(suspended, decided(batch.AnnotationState, "Rejected", batch.AnnotationReason, "NeverFits", batch.AnnotationMessage, "needs 64 GPUs; the largest member has 16")),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobRejected, Reason: "NeverFits", Message: "needs 64 GPUs; the largest member has 16", ResourceBinding: "resnet-job",
			},
		},
		{
			name:    "bad input does not reject a job already running: it becomes a warning",
			job:     job(annotated(batch.AnnotationDeadline, "soon"), phase(vcbatchv1alpha1.Running, -time.Minute)),
			binding: binding(scheduledTo("aliyun")),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobRunning, Reason: "Running", Cluster: "aliyun", StartTime: at(-time.Minute),
				ResourceBinding: "resnet-job", VolcanoPhase: "Running",
			},
			wantWarnings: []string{`annotation batch.kurator.dev/deadline="soon" is not an RFC 3339 time`},
		},
		{
			name:    "scheduled by Karmada without the fleet queue",
			job:     job(),
			binding: binding(scheduledTo("aliyun", "edge")),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "low", Priority: 10, Preemptable: true,
				State: batch.BatchJobDispatched, Reason: batch.ReasonScheduled, Cluster: "aliyun,edge",
				Message:         "Karmada scheduled the job to aliyun,edge without the fleet queue (its binding was not suspended)",
				ResourceBinding: "resnet-job",
			},
		},
		{
			name:    "deadline passed, no estimate, unknown priority class, malformed annotations: warnings, still queued",
			job:     job(annotated(batch.AnnotationDeadline, rfc3339(-10*time.Minute)), priorityClass("urgent"), annotated(batch.AnnotationPreemptable, "maybe")),
			binding: binding(suspended, decided(batch.AnnotationState, "Waiting", batch.AnnotationAttempts, "-1", batch.AnnotationPredictedStart, "noon")),
			want: batch.BatchJobStatus{
				Queue: "train", PriorityClassName: "urgent", Preemptable: true,
				Deadline: at(-10 * time.Minute), Slack: estimate(-70 * time.Minute),
				State: batch.BatchJobQueued, Reason: batch.ReasonWaitingForDispatch,
				Message:         "the binding's scheduling is suspended until the fleet-queue controller dispatches the job",
				ResourceBinding: "resnet-job",
			},
			wantWarnings: []string{
				`PriorityClass "urgent" (spec.priorityClassName) does not exist in the Karmada apiserver`,
				`annotation volcano.sh/preemptable="maybe" is not true or false`,
				`annotation batch.kurator.dev/state="Waiting" of ResourceBinding resnet-job is not one of`,
				`annotation batch.kurator.dev/attempts="-1" of ResourceBinding resnet-job is not a non-negative integer`,
				`annotation batch.kurator.dev/predicted-start="noon" of ResourceBinding resnet-job is not an RFC 3339 time`,
				"no spec.runningEstimate: slack assumes a runtime of 1h0m0s",
				"the deadline 2026-03-01T11:50:00Z passed 10m0s ago",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := env().Status(tc.job, tc.binding)
			warnings := got.Warnings
			got.Warnings = nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("status mismatch (-want +got):\n%s", diff)
			}
			if len(warnings) != len(tc.wantWarnings) {
				t.Fatalf("warnings = %q, want %d matching %q", warnings, len(tc.wantWarnings), tc.wantWarnings)
			}
			for i, w := range tc.wantWarnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func TestStatusQueueResolution(t *testing.T) {
	noDefault := env()
	noDefault.DefaultQueue, noDefault.DefaultQueueFleet = "", ""
	st := noDefault.Status(job(), binding(suspended))
	if st.State != batch.BatchJobRejected || st.Reason != batch.ReasonNoQueue || !strings.Contains(st.Message, "annotate the job with the name of a FleetQueue") {
		t.Errorf("job without queue and without fleet default: %s/%s %q", st.State, st.Reason, st.Message)
	}

	missingDefault := env()
	missingDefault.DefaultQueue = "batch"
	st = missingDefault.Status(job(), binding(suspended))
	if st.State != batch.BatchJobRejected || st.Reason != batch.ReasonUnknownQueue || !strings.Contains(st.Message, "spec.batch.defaultQueue of fleet prod") {
		t.Errorf("fleet default naming a missing queue: %s/%s %q", st.State, st.Reason, st.Message)
	}

	fleetPriority := env()
	fleetPriority.DefaultPriorityClassName, fleetPriority.DefaultPriorityClassFleet = "high", "prod"
	if st := fleetPriority.Status(job(), nil); st.PriorityClassName != "high" || st.Priority != 1000 {
		t.Errorf("fleet default priority class: %q = %d, want high = 1000 before the global default", st.PriorityClassName, st.Priority)
	}
}

func TestBatchJobMetadata(t *testing.T) {
	j := job()
	bj := env().BatchJob(j, nil)
	if bj.Name != "resnet" || bj.Namespace != "ml" || bj.Labels["team"] != "vision" || !bj.CreationTimestamp.Equal(&j.CreationTimestamp) {
		t.Errorf("metadata = %+v, want the Volcano Job's name, namespace, labels and creation time", bj.ObjectMeta)
	}
	bj.Labels["team"] = "changed"
	if j.Labels["team"] != "vision" {
		t.Error("the view shares its labels with the Volcano Job")
	}
}
