// Package server serves Karmada's scheduler-estimator gRPC service for one member cluster
// from snapshots of an estimator.Store that member informers keep current. It never answers
// with a gRPC error: -1 means "no opinion" to karmada-scheduler.
package server
