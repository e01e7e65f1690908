// Package clustertelemetry is the storage of the ClusterTelemetry kind: a read-only view,
// computed on every read, of each Karmada cluster's telemetry from the latest snapshot of the
// Thanos Query its fleet names, refreshed in the background by one telemetry.Source per URL.
package clustertelemetry

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	telemetryapi "kurator.dev/kurator/pkg/apis/telemetry"
	"kurator.dev/kurator/pkg/telemetry"
)

// Input is what one cluster's telemetry is computed from.
type Input struct {
	// Cluster is the Karmada cluster name.
	Cluster string
	// Fleet is the fleet whose spec.telemetry applies to the cluster; "" when none does.
	Fleet string
	// OtherFleets are the other fleets with spec.telemetry that include the cluster, sorted.
	OtherFleets []string
	// URL is the Thanos Query URL of Fleet.
	URL string
	// ClusterLabel is the label that names clusters in the source's answers.
	ClusterLabel string
	// ThanosCluster and IstioClusterID are the cluster's names in Thanos and Istio.
	ThanosCluster, IstioClusterID string
	// Snapshot is the source's latest snapshot; nil when the source is not running.
	Snapshot *telemetry.Snapshot
	// SourceError says why the source could not be started, if it could not.
	SourceError string
	// Now is the time of the read.
	Now time.Time
}

// utilizationResources are the resources ClusterTelemetry reports, in order.
var utilizationResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, telemetry.GPUResource}

// maxOtherFleets bounds the other fleets a ClusterTelemetry lists.
const maxOtherFleets = 10

// utilizationPrefix starts the names of the utilization queries of a snapshot.
const utilizationPrefix = "utilization/"

// ComputeStatus computes a cluster's telemetry. It only reads the snapshot.
func ComputeStatus(in *Input) telemetryapi.ClusterTelemetryStatus {
	var st telemetryapi.ClusterTelemetryStatus
	if in.Fleet == "" {
		st.Conditions = []metav1.Condition{fresh(metav1.ConditionFalse, telemetryapi.ReasonNoTelemetrySource, fmt.Sprintf(
			"No fleet with spec.telemetry includes cluster %s: add it to a fleet (spec.clusters or spec.clusterSelector) whose spec.telemetry.thanosQueryURL names the Thanos Query that holds its metrics",
			in.Cluster), in.Now)}
		return st
	}
	st.ThanosCluster, st.IstioClusterID = in.ThanosCluster, in.IstioClusterID
	snap := in.Snapshot
	src := &telemetryapi.TelemetrySource{URL: in.URL, Fleet: in.Fleet, Stale: true, OtherFleetCount: int32(len(in.OtherFleets))}
	if len(in.OtherFleets) > 0 {
		src.OtherFleets = append([]string(nil), in.OtherFleets[:min(len(in.OtherFleets), maxOtherFleets)]...)
	}
	st.Source = src
	switch {
	case in.SourceError != "":
		src.LastError = in.SourceError
		st.Conditions = []metav1.Condition{fresh(metav1.ConditionFalse, telemetryapi.ReasonSourceUnreachable, fmt.Sprintf(
			"The telemetry source of fleet %s cannot be started: %s", in.Fleet, in.SourceError), in.Now)}
		return st
	case snap == nil || snap.Generation == 0:
		if snap != nil {
			src.MaxSampleAge = metav1.Duration{Duration: snap.MaxSampleAge}
		}
		st.Conditions = []metav1.Condition{fresh(metav1.ConditionFalse, telemetryapi.ReasonWaitingForFirstRefresh, fmt.Sprintf(
			"The refresher of %s (spec.telemetry of fleet %s) has not run its queries yet; read again in a few seconds", in.URL, in.Fleet), in.Now)}
		return st
	}

	maxAge := snap.MaxSampleAge
	src.MaxSampleAge = metav1.Duration{Duration: maxAge}
	src.LastRefresh = timePtr(snap.Time)
	var failing, utilizationFailing []string
	for _, q := range snap.Queries {
		if q.Error != "" {
			failing = append(failing, q.Name+": "+q.Error)
			if strings.HasPrefix(q.Name, utilizationPrefix) {
				utilizationFailing = append(utilizationFailing, q.Name+": "+q.Error)
			}
		}
		for _, w := range q.Warnings {
			src.Warnings = append(src.Warnings, q.Name+": "+w)
		}
	}
	src.LastError = strings.Join(failing, "\n")
	if last := snap.LastSuccess(); !last.IsZero() {
		src.LastSuccess = timePtr(last)
		src.Stale = in.Now.Sub(last) > maxAge
	}

	var stale []string
	var oldest time.Time
	for _, res := range utilizationResources {
		s := snap.UtilizationOf(res, in.Cluster)
		if !s.OK() {
			continue
		}
		t := time.UnixMilli(s.Time)
		sample := &telemetryapi.UtilizationSample{Fraction: s.Value, Time: metav1.NewTime(t), Stale: !s.FreshAt(in.Now, maxAge)}
		if sample.Stale {
			stale = append(stale, fmt.Sprintf("%s sample is %s old", res, in.Now.Sub(t).Round(time.Second)))
		}
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		switch res {
		case corev1.ResourceCPU:
			st.CPU = sample
		case corev1.ResourceMemory:
			st.Memory = sample
		default:
			st.GPU = sample
		}
	}
	if !oldest.IsZero() {
		st.SampleTime = timePtr(oldest)
		st.SampleAge = &metav1.Duration{Duration: in.Now.Sub(oldest).Round(time.Millisecond)}
	}
	st.Peers = peers(in, snap, maxAge)
	st.Conditions = []metav1.Condition{freshCondition(in, snap, src, oldest.IsZero(), stale, utilizationFailing)}
	return st
}

// freshCondition says whether the utilization samples are fresh and, if not, why.
func freshCondition(in *Input, snap *telemetry.Snapshot, src *telemetryapi.TelemetrySource, noSamples bool, stale, failing []string) metav1.Condition {
	maxAge := src.MaxSampleAge.Duration
	switch {
	case noSamples && len(failing) > 0:
		return fresh(metav1.ConditionFalse, telemetryapi.ReasonSourceUnreachable, fmt.Sprintf(
			"The utilization queries of %s fail, and there is no sample of cluster %s: %s", in.URL, in.Cluster, strings.Join(failing, "; ")), in.Now)
	case noSamples:
		msg := fmt.Sprintf(
			"%s answers but has no utilization sample with %s=%q: check that the member's Prometheus carries that external label, or map the cluster's name in spec.telemetry.clusterMapping of fleet %s",
			in.URL, in.ClusterLabel, in.ThanosCluster, in.Fleet)
		if len(snap.UnknownClusters) > 0 {
			msg += fmt.Sprintf("; the source also sees unmapped clusters %s", strings.Join(snap.UnknownClusters, ", "))
		}
		return fresh(metav1.ConditionFalse, telemetryapi.ReasonNoSamples, msg, in.Now)
	case len(stale) > 0 && len(failing) > 0:
		return fresh(metav1.ConditionFalse, telemetryapi.ReasonSourceUnreachable, fmt.Sprintf(
			"%s, older than %s, because the queries of %s fail: %s", strings.Join(stale, ", "), maxAge, in.URL, strings.Join(failing, "; ")), in.Now)
	case len(stale) > 0:
		return fresh(metav1.ConditionFalse, telemetryapi.ReasonStale, fmt.Sprintf(
			"%s, older than %s: the member's metrics no longer reach %s (check its Prometheus and Thanos sidecar)", strings.Join(stale, ", "), maxAge, in.URL), in.Now)
	case len(src.Warnings) > 0:
		return fresh(metav1.ConditionTrue, telemetryapi.ReasonPartialResponse, fmt.Sprintf(
			"The samples are fresh but %s answered partially, so some data may be missing: %s", in.URL, strings.Join(src.Warnings, "; ")), in.Now)
	default:
		return fresh(metav1.ConditionTrue, telemetryapi.ReasonSamplesFresh, fmt.Sprintf(
			"Every utilization sample is younger than %s", maxAge), in.Now)
	}
}

// peers returns the cluster's traffic with every other cluster, sorted by name.
func peers(in *Input, snap *telemetry.Snapshot, maxAge time.Duration) []telemetryapi.PeerTelemetry {
	out, inbound := map[string]float64{}, map[string]float64{}
	for _, f := range snap.Flows {
		switch {
		case f.SourceCluster == in.Cluster && f.DestinationCluster != "" && f.DestinationCluster != in.Cluster:
			out[f.DestinationCluster] += f.Rate.Value
		case f.DestinationCluster == in.Cluster && f.SourceCluster != in.Cluster:
			inbound[f.SourceCluster] += f.Rate.Value
		}
	}
	var result []telemetryapi.PeerTelemetry
	for _, peer := range snap.Clusters {
		if peer == in.Cluster {
			continue
		}
		p := telemetryapi.PeerTelemetry{Cluster: peer, RequestsPerSecond: out[peer], InboundRequestsPerSecond: inbound[peer]}
		if lat := snap.LatencyOf(in.Cluster, peer); lat.OK() {
			p.P99Latency = &metav1.Duration{Duration: time.Duration(lat.Value * float64(time.Millisecond))}
			p.LatencyTime = timePtr(time.UnixMilli(lat.Time))
			p.LatencyStale = !lat.FreshAt(in.Now, maxAge)
		}
		if p.P99Latency == nil && p.RequestsPerSecond == 0 && p.InboundRequestsPerSecond == 0 {
			continue
		}
		result = append(result, p)
	}
	sort.Slice(result, func(i, j int) bool { return result[i].Cluster < result[j].Cluster })
	return result
}

// fresh builds the Fresh condition. Its transition time is the time of the read: the status
// is computed, not stored, so no real transition time exists.
func fresh(status metav1.ConditionStatus, reason, message string, now time.Time) metav1.Condition {
	return metav1.Condition{Type: telemetryapi.ConditionFresh, Status: status, Reason: reason, Message: message, LastTransitionTime: metav1.NewTime(now)}
}

func timePtr(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t)
	return &mt
}
