package server

import (
	"fmt"

	"github.com/karmada-io/karmada/pkg/estimator/pb"

	"kurator.dev/kurator/pkg/estimator"
)

// replicaRequest turns a MaxAvailableReplicas request into a model request: every replica
// is a set of one pod (for Volcano, pods without a gang get a PodGroup each).
func replicaRequest(req *pb.MaxAvailableReplicasRequest) (estimator.Request, error) {
	rr := req.GetReplicaRequirements()
	c := estimator.Component{Name: "replica", Replicas: 1}
	var namespace string
	if rr != nil {
		namespace = rr.GetNamespace()
		requests, err := rr.UnmarshalResourceRequest()
		if err != nil {
			return estimator.Request{}, fmt.Errorf("decoding replicaRequirements.resourceRequest: %w", err)
		}
		c.Requests = requests
		c.PriorityClassName = rr.GetPriorityClassName()
		if err := setClaim(&c, rr.GetNodeClaim()); err != nil {
			return estimator.Request{}, err
		}
	}
	out := estimator.Request{Namespace: namespace, Components: []estimator.Component{c}}
	assumed, err := assumedWorkloads(req.GetAssumedWorkloads())
	if err != nil {
		return estimator.Request{}, err
	}
	out.Assumed = assumed
	return out, nil
}

// componentSetRequest turns a MaxAvailableComponentSets request into a model request.
func componentSetRequest(req *pb.MaxAvailableComponentSetsRequest) (estimator.Request, error) {
	comps, err := components(req.GetComponents())
	if err != nil {
		return estimator.Request{}, err
	}
	assumed, err := assumedWorkloads(req.GetAssumedWorkloads())
	if err != nil {
		return estimator.Request{}, err
	}
	return estimator.Request{Namespace: req.GetNamespace(), Components: comps, Assumed: assumed}, nil
}

func components(in []*pb.Component) ([]estimator.Component, error) {
	out := make([]estimator.Component, 0, len(in))
	for _, pc := range in {
		if pc == nil {
			continue
		}
		c := estimator.Component{Name: pc.GetName(), Replicas: pc.GetReplicas()}
		if rr := pc.GetReplicaRequirements(); rr != nil {
			requests, err := rr.UnmarshalResourceRequest()
			if err != nil {
				return nil, fmt.Errorf("decoding component %q resourceRequest: %w", pc.GetName(), err)
			}
			c.Requests = requests
			c.PriorityClassName = rr.GetPriorityClassName()
			if err := setClaim(&c, rr.GetNodeClaim()); err != nil {
				return nil, fmt.Errorf("component %q: %w", pc.GetName(), err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func assumedWorkloads(in []*pb.AssumedWorkload) ([]estimator.Workload, error) {
	var out []estimator.Workload
	for i, aw := range in {
		if aw == nil {
			continue
		}
		comps, err := components(aw.GetComponents())
		if err != nil {
			return nil, fmt.Errorf("assumedWorkloads[%d]: %w", i, err)
		}
		out = append(out, estimator.Workload{Namespace: aw.GetNamespace(), Components: comps})
	}
	return out, nil
}

func setClaim(c *estimator.Component, nc *pb.NodeClaim) error {
	if nc == nil {
		return nil
	}
	c.NodeSelector = nc.GetNodeSelector()
	affinity, err := nc.UnmarshalNodeAffinity()
	if err != nil {
		return fmt.Errorf("decoding nodeClaim.nodeAffinity: %w", err)
	}
	c.NodeAffinity = affinity
	tolerations, err := nc.UnmarshalTolerations()
	if err != nil {
		return fmt.Errorf("decoding nodeClaim.tolerations: %w", err)
	}
	c.Tolerations = tolerations
	return nil
}
