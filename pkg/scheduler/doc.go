// Package scheduler turns a KubeSchedulerConfiguration profile into what Karmada's scheduler
// runs: kurator's plugins with their typed arguments, Karmada's in-tree plugins, per-plugin
// weights (which Karmada lacks), and the --plugins list that enables exactly them. It also
// provides the evaluation PlacementReview serves: every filter verdict and weighted score of
// a binding over the clusters, computed by the same plugin instances' code.
//
// Load a profile with LoadProfile, start the plugins' Runtime (telemetry, template metadata,
// clusters) with StartRuntime, then hand Registry to Karmada's scheduler command, or build an
// Evaluator and call Evaluate, Estimate and Select.
package scheduler
