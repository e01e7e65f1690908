package clusterutilization

import (
	"math"
	"testing"
)

// TestTargetLoadPackingShape shows the curve with target 60 % and ceiling 85 %: it rises
// from 60 at idle to 100 at the target, drops to 60 just above it and reaches 0 at the ceiling.
func TestTargetLoadPackingShape(t *testing.T) {
	for _, tc := range []struct {
		u    float64
		want float64
	}{
		{0, 60},      // idle: T = 100·target
		{0.30, 80},   // half way to the target
		{0.60, 100},  // at the target
		{0.6001, 60}, // just above the target: back to T
		{0.725, 30},  // half way to the ceiling
		{0.85, 0},    // at the ceiling
		{1, 0},       // full
		{1.2, 0},     // predicted beyond full
		{-0.1, 60},   // clamped
	} {
		got := TargetLoadPackingScore(tc.u, 0.6, 0.85)
		if math.Abs(got-tc.want) > 0.05 {
			t.Errorf("TargetLoadPackingScore(%v) = %.2f; want %v", tc.u, got, tc.want)
		}
	}
	// With the ceiling at 100 % the curve is scheduler-plugins' original one.
	if got := TargetLoadPackingScore(0.8, 0.6, 1); math.Abs(got-30) > 1e-9 {
		t.Errorf("original TLP at 80%% = %v; want 30", got)
	}
}

func TestLeastUtilizedShape(t *testing.T) {
	for u, want := range map[float64]float64{0: 100, 0.6: 40, 1: 0, 1.5: 0} {
		if got := LeastUtilizedScore(u); math.Abs(got-want) > 1e-9 {
			t.Errorf("LeastUtilizedScore(%v) = %v; want %v", u, got, want)
		}
	}
}

func TestPredict(t *testing.T) {
	for _, tc := range []struct{ observed, request, allocatable, want float64 }{
		{0.45, 0, 64, 0.45},   // nothing requested
		{0.45, 6.4, 64, 0.55}, // 6.4 cores of 64
		{0.45, 6.4, 0, 0.45},  // allocatable unknown: the observation stands
		{0.95, 6.4, 64, 1.05}, // may exceed 1: the curves clamp
	} {
		if got := Predict(tc.observed, tc.request, tc.allocatable); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Predict(%v, %v, %v) = %v; want %v", tc.observed, tc.request, tc.allocatable, got, tc.want)
		}
	}
}
