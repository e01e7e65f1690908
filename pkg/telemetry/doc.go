// Package telemetry reads the fleet's utilization and mesh traffic from Thanos Query (or any
// Prometheus HTTP API) and keeps the latest answers in an immutable Snapshot.
//
// A Source runs the queries of its Catalogue every refresh interval — the same fixed set of
// queries whatever is being scheduled — and publishes a new Snapshot through an atomic
// pointer, so readers never lock and never wait for the network. Each sample keeps its
// timestamp; a query that fails keeps its previous samples, which age until they are stale.
// Cluster names are translated explicitly: the Thanos label value and the Istio cluster ID of
// a member may both differ from its Karmada name.
//
// The package holds no scheduling logic: plugins read a Snapshot and decide.
package telemetry
