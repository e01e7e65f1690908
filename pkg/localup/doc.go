// Package localup runs a real Karmada fleet on one machine for users to try kurator and for
// the end-to-end tests: etcd, a Karmada control plane, simulated member clusters (each a real
// kube-apiserver with controllers, kwok fake nodes and Volcano), and per-member Prometheus
// with Thanos sidecars behind one Thanos Query, all built from pinned modules and supervised
// as local processes. A scenario file describes the members and the telemetry they report.
package localup
