// Package apiserver assembles kurator-apiserver: the generic apiserver configuration and the
// installation of every API group it serves through the group's registry.RESTStorageProvider.
//
// Adding an API group (say telemetry.kurator.dev) beside fleet.kurator.dev:
//
//  1. Types in pkg/apis/<group> (internal) and pkg/apis/<group>/<version>, with the same
//     doc.go tags as pkg/apis/fleet, and an install package; then hack/update-codegen.sh.
//  2. Register the install function in pkg/apiserver/scheme, and the storage version in
//     scheme.StorageVersions if the group stores objects in etcd.
//  3. Storage per kind in pkg/registry/<group>/<kind>: a genericregistry.Store with a
//     strategy for stored kinds (see pkg/registry/fleet/fleet); for computed read-only kinds
//     (like metrics.k8s.io) a rest.Getter/rest.Lister over a cache; for create-only review
//     kinds (like SubjectAccessReview) a storage implementing only Create, answering without storing.
//  4. A provider in pkg/registry/<group>/rest, listed in CompletedConfig.New, with what it
//     needs (clients, caches) passed through ExtraConfig; enable its version in
//     DefaultAPIResourceConfigSource. Caches of the Karmada apiserver come from KarmadaCache
//     (ask for them only when the group is enabled); kurator's own objects are read back
//     through the loopback informers New creates.
//  5. An APIService for the group version in artifacts/deploy/kurator-apiserver and in
//     kurator-up, pointing at the same Service.
package apiserver
