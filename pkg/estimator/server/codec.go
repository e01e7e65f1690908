package server

import (
	"fmt"

	"github.com/karmada-io/karmada/pkg/estimator/pb"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Codec encodes and decodes Karmada's scheduler-estimator messages on the wire without
// protobuf reflection.
//
// Karmada's generated messages embed Kubernetes types (NodeSelector, Toleration,
// Quantity). Since Kubernetes 1.35 those implement the protobuf Message interface only
// when built with the kubernetes_protomessage_one_more_release tag (Karmada builds its
// binaries with it); without the tag the standard codec panics on the first request and
// takes the process down. Codec writes and reads the same wire format field by field, using
// the Kubernetes types' own Marshal and Unmarshal, so a kurator-estimator built either way
// talks to any karmada-scheduler. Other messages go to the standard codec.
type Codec struct{}

var _ encoding.CodecV2 = Codec{}

// Name is "proto": the content type on the wire is unchanged.
func (Codec) Name() string { return grpcproto.Name }

// Marshal encodes v.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	var b []byte
	var err error
	switch m := v.(type) {
	case *pb.MaxAvailableReplicasRequest:
		b, err = appendReplicasRequest(nil, m)
	case *pb.MaxAvailableComponentSetsRequest:
		b, err = appendComponentSetsRequest(nil, m)
	case *pb.UnschedulableReplicasRequest:
		b = appendUnschedulableRequest(nil, m)
	case *pb.MaxAvailableReplicasResponse:
		b = appendInt32Field(nil, 1, m.GetMaxReplicas())
	case *pb.MaxAvailableComponentSetsResponse:
		b = appendInt32Field(nil, 1, m.GetMaxSets())
	case *pb.UnschedulableReplicasResponse:
		b = appendInt32Field(nil, 1, m.GetUnschedulableReplicas())
	default:
		// Everything else (etcd's messages in kurator-apiserver, for one) goes to gRPC's
		// own codec untouched, without a copy.
		return standard.Marshal(v)
	}
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

// Unmarshal decodes data into v.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	var err error
	switch m := v.(type) {
	case *pb.MaxAvailableReplicasRequest:
		err = readReplicasRequest(data.Materialize(), m)
	case *pb.MaxAvailableComponentSetsRequest:
		err = readComponentSetsRequest(data.Materialize(), m)
	case *pb.UnschedulableReplicasRequest:
		err = readUnschedulableRequest(data.Materialize(), m)
	case *pb.MaxAvailableReplicasResponse:
		return readInt32Field(data.Materialize(), &m.MaxReplicas)
	case *pb.MaxAvailableComponentSetsResponse:
		return readInt32Field(data.Materialize(), &m.MaxSets)
	case *pb.UnschedulableReplicasResponse:
		return readInt32Field(data.Materialize(), &m.UnschedulableReplicas)
	default:
		return standard.Unmarshal(data, v)
	}
	if err != nil {
		return fmt.Errorf("decoding %T: %w", v, err)
	}
	return nil
}

// standard is gRPC's own protobuf codec, captured before RegisterCodec may replace it.
var standard = encoding.GetCodecV2(grpcproto.Name)

// RegisterCodec makes Codec gRPC's process-wide "proto" codec, so that clients built
// without the kubernetes_protomessage_one_more_release tag (a karmada-scheduler built from
// this module, for instance) can call estimators without panicking. Call it before any
// gRPC call, from main or an init function. Other messages still go to gRPC's protobuf
// codec.
func RegisterCodec() { encoding.RegisterCodecV2(Codec{}) }

// Encoding.

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendInt32Field(b []byte, num protowire.Number, v int32) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(int64(v)))
}

// appendMessage appends a length-delimited sub-message built by body.
func appendMessage(b []byte, num protowire.Number, body []byte) []byte {
	return appendBytesField(b, num, body)
}

func appendStringMapEntry(b []byte, num protowire.Number, k string, v []byte) []byte {
	var e []byte
	e = protowire.AppendTag(e, 1, protowire.BytesType)
	e = protowire.AppendString(e, k)
	e = protowire.AppendTag(e, 2, protowire.BytesType)
	e = protowire.AppendBytes(e, v)
	return appendMessage(b, num, e)
}

func appendReplicasRequest(b []byte, m *pb.MaxAvailableReplicasRequest) ([]byte, error) {
	b = appendString(b, 1, m.GetCluster())
	if rr := m.GetReplicaRequirements(); rr != nil {
		body, err := appendRequirements(nil, rr.GetNodeClaim(), rr.GetResourceRequest(), rr.GetResourceRequestBytes(), 2, 5) //nolint:staticcheck // the wire format still carries the deprecated fields
		if err != nil {
			return nil, err
		}
		body = appendString(body, 3, rr.GetNamespace())
		body = appendString(body, 4, rr.GetPriorityClassName())
		b = appendMessage(b, 2, body)
	}
	for _, aw := range m.GetAssumedWorkloads() {
		body, err := appendAssumed(aw)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, 3, body)
	}
	return b, nil
}

func appendComponentSetsRequest(b []byte, m *pb.MaxAvailableComponentSetsRequest) ([]byte, error) {
	b = appendString(b, 1, m.GetCluster())
	for _, c := range m.GetComponents() {
		body, err := appendComponent(c)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, 2, body)
	}
	b = appendString(b, 3, m.GetNamespace())
	for _, aw := range m.GetAssumedWorkloads() {
		body, err := appendAssumed(aw)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, 4, body)
	}
	return b, nil
}

func appendUnschedulableRequest(b []byte, m *pb.UnschedulableReplicasRequest) []byte {
	b = appendString(b, 1, m.GetCluster())
	if r := m.GetResource(); r != nil {
		var body []byte
		body = appendString(body, 1, r.GetApiVersion())
		body = appendString(body, 2, r.GetKind())
		body = appendString(body, 3, r.GetNamespace())
		body = appendString(body, 4, r.GetName())
		b = appendMessage(b, 2, body)
	}
	if t := m.GetUnschedulableThreshold(); t != 0 {
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(t))
	}
	return b
}

func appendAssumed(aw *pb.AssumedWorkload) ([]byte, error) {
	body := appendString(nil, 1, aw.GetNamespace())
	for _, c := range aw.GetComponents() {
		cb, err := appendComponent(c)
		if err != nil {
			return nil, err
		}
		body = appendMessage(body, 2, cb)
	}
	return body, nil
}

func appendComponent(c *pb.Component) ([]byte, error) {
	body := appendString(nil, 1, c.GetName())
	if rr := c.GetReplicaRequirements(); rr != nil {
		rb, err := appendRequirements(nil, rr.GetNodeClaim(), rr.GetResourceRequest(), rr.GetResourceRequestBytes(), 2, 4) //nolint:staticcheck // the wire format still carries the deprecated fields
		if err != nil {
			return nil, err
		}
		rb = appendString(rb, 3, rr.GetPriorityClassName())
		body = appendMessage(body, 2, rb)
	}
	return appendInt32Field(body, 3, c.GetReplicas()), nil
}

// appendRequirements writes the node claim (field 1) and both resource maps, at the field
// numbers of the enclosing message.
func appendRequirements(b []byte, nc *pb.NodeClaim, rr map[string]*resource.Quantity, rrBytes map[string][]byte,
	mapField, bytesField protowire.Number) ([]byte, error) {
	if nc != nil {
		body, err := appendNodeClaim(nc)
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, 1, body)
	}
	for k, q := range rr {
		var qb []byte
		if q != nil {
			var err error
			if qb, err = q.Marshal(); err != nil {
				return nil, fmt.Errorf("encoding quantity %s: %w", k, err)
			}
		}
		b = appendStringMapEntry(b, mapField, k, qb)
	}
	for k, v := range rrBytes {
		b = appendStringMapEntry(b, bytesField, k, v)
	}
	return b, nil
}

func appendNodeClaim(nc *pb.NodeClaim) ([]byte, error) {
	var b []byte
	if nc.NodeAffinity != nil { //nolint:staticcheck // the wire format still carries the deprecated fields
		data, err := nc.NodeAffinity.Marshal() //nolint:staticcheck // the wire format still carries the deprecated fields
		if err != nil {
			return nil, fmt.Errorf("encoding nodeAffinity: %w", err)
		}
		b = appendMessage(b, 1, data)
	}
	for k, v := range nc.GetNodeSelector() {
		b = appendStringMapEntry(b, 2, k, []byte(v))
	}
	for _, t := range nc.Tolerations { //nolint:staticcheck // the wire format still carries the deprecated fields
		if t == nil {
			continue
		}
		data, err := t.Marshal()
		if err != nil {
			return nil, fmt.Errorf("encoding toleration: %w", err)
		}
		b = appendMessage(b, 3, data)
	}
	if len(nc.NodeAffinityBytes) > 0 {
		b = appendBytesField(b, 4, nc.NodeAffinityBytes)
	}
	for _, t := range nc.TolerationsBytes {
		b = appendBytesField(b, 5, t)
	}
	return b, nil
}

// Decoding.

// fields calls fn for every field of a message; fn gets the raw value (varint or bytes).
func fields(data []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error) error {
	for len(data) > 0 {
		num, typ, n := protowire.ConsumeTag(data)
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		var v uint64
		var bs []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(data)
		case protowire.BytesType:
			bs, n = protowire.ConsumeBytes(data)
		default:
			n = protowire.ConsumeFieldValue(num, typ, data)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		data = data[n:]
		if err := fn(num, typ, v, bs); err != nil {
			return err
		}
	}
	return nil
}

func readInt32Field(data []byte, out *int32) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
		if num == 1 && typ == protowire.VarintType {
			*out = int32(v) // #nosec G115 -- proto int32 wire semantics
		}
		return nil
	})
}

// mapEntry decodes a map<string, X> entry.
func mapEntry(data []byte) (key string, value []byte, err error) {
	err = fields(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			key = string(bs)
		case 2:
			value = bs
		}
		return nil
	})
	return key, value, err
}

func readReplicasRequest(data []byte, m *pb.MaxAvailableReplicasRequest) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			m.Cluster = string(bs)
		case 2:
			rr := &pb.ReplicaRequirements{}
			if err := readRequirements(bs, &rr.NodeClaim, &rr.ResourceRequest, &rr.ResourceRequestBytes, 2, 5, //nolint:staticcheck // the wire format still carries the deprecated fields
				func(n protowire.Number, s string) {
					switch n {
					case 3:
						rr.Namespace = s
					case 4:
						rr.PriorityClassName = s
					}
				}); err != nil {
				return fmt.Errorf("replicaRequirements: %w", err)
			}
			m.ReplicaRequirements = rr
		case 3:
			aw, err := readAssumed(bs)
			if err != nil {
				return err
			}
			m.AssumedWorkloads = append(m.AssumedWorkloads, aw)
		}
		return nil
	})
}

func readComponentSetsRequest(data []byte, m *pb.MaxAvailableComponentSetsRequest) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			m.Cluster = string(bs)
		case 2:
			c, err := readComponent(bs)
			if err != nil {
				return err
			}
			m.Components = append(m.Components, c)
		case 3:
			m.Namespace = string(bs)
		case 4:
			aw, err := readAssumed(bs)
			if err != nil {
				return err
			}
			m.AssumedWorkloads = append(m.AssumedWorkloads, aw)
		}
		return nil
	})
}

func readUnschedulableRequest(data []byte, m *pb.UnschedulableReplicasRequest) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			m.Cluster = string(bs)
		case num == 2 && typ == protowire.BytesType:
			ref := &pb.ObjectReference{}
			if err := fields(bs, func(n protowire.Number, t protowire.Type, _ uint64, s []byte) error {
				if t != protowire.BytesType {
					return nil
				}
				switch n {
				case 1:
					ref.ApiVersion = string(s)
				case 2:
					ref.Kind = string(s)
				case 3:
					ref.Namespace = string(s)
				case 4:
					ref.Name = string(s)
				}
				return nil
			}); err != nil {
				return fmt.Errorf("resource: %w", err)
			}
			m.Resource = ref
		case num == 3 && typ == protowire.VarintType:
			m.UnschedulableThreshold = int64(v) // #nosec G115 -- proto int64 wire semantics
		}
		return nil
	})
}

func readAssumed(data []byte) (*pb.AssumedWorkload, error) {
	aw := &pb.AssumedWorkload{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			aw.Namespace = string(bs)
		case 2:
			c, err := readComponent(bs)
			if err != nil {
				return err
			}
			aw.Components = append(aw.Components, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("assumedWorkloads: %w", err)
	}
	return aw, nil
}

func readComponent(data []byte) (*pb.Component, error) {
	c := &pb.Component{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, v uint64, bs []byte) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			c.Name = string(bs)
		case num == 2 && typ == protowire.BytesType:
			rr := &pb.ComponentReplicaRequirements{}
			if err := readRequirements(bs, &rr.NodeClaim, &rr.ResourceRequest, &rr.ResourceRequestBytes, 2, 4, //nolint:staticcheck // the wire format still carries the deprecated fields
				func(n protowire.Number, s string) {
					if n == 3 {
						rr.PriorityClassName = s
					}
				}); err != nil {
				return fmt.Errorf("replicaRequirements: %w", err)
			}
			c.ReplicaRequirements = rr
		case num == 3 && typ == protowire.VarintType:
			c.Replicas = int32(v) // #nosec G115 -- proto int32 wire semantics
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("component: %w", err)
	}
	return c, nil
}

// readRequirements decodes the shared shape of ReplicaRequirements and
// ComponentReplicaRequirements; other string fields go to str.
func readRequirements(data []byte, nc **pb.NodeClaim, rr *map[string]*resource.Quantity, rrBytes *map[string][]byte,
	mapField, bytesField protowire.Number, str func(protowire.Number, string)) error {
	return fields(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			claim, err := readNodeClaim(bs)
			if err != nil {
				return err
			}
			*nc = claim
		case mapField:
			k, v, err := mapEntry(bs)
			if err != nil {
				return err
			}
			q := &resource.Quantity{}
			if err := q.Unmarshal(v); err != nil {
				return fmt.Errorf("resourceRequest %s: %w", k, err)
			}
			if *rr == nil {
				*rr = map[string]*resource.Quantity{}
			}
			(*rr)[k] = q
		case bytesField:
			k, v, err := mapEntry(bs)
			if err != nil {
				return err
			}
			if *rrBytes == nil {
				*rrBytes = map[string][]byte{}
			}
			(*rrBytes)[k] = append([]byte(nil), v...)
		default:
			str(num, string(bs))
		}
		return nil
	})
}

func readNodeClaim(data []byte) (*pb.NodeClaim, error) {
	nc := &pb.NodeClaim{}
	err := fields(data, func(num protowire.Number, typ protowire.Type, _ uint64, bs []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			ns := &corev1.NodeSelector{}
			if err := ns.Unmarshal(bs); err != nil {
				return fmt.Errorf("nodeAffinity: %w", err)
			}
			nc.NodeAffinity = ns //nolint:staticcheck // the wire format still carries the deprecated fields
		case 2:
			k, v, err := mapEntry(bs)
			if err != nil {
				return err
			}
			if nc.NodeSelector == nil {
				nc.NodeSelector = map[string]string{}
			}
			nc.NodeSelector[k] = string(v)
		case 3:
			t := &corev1.Toleration{}
			if err := t.Unmarshal(bs); err != nil {
				return fmt.Errorf("tolerations: %w", err)
			}
			nc.Tolerations = append(nc.Tolerations, t) //nolint:staticcheck // the wire format still carries the deprecated fields
		case 4:
			nc.NodeAffinityBytes = append([]byte(nil), bs...)
		case 5:
			nc.TolerationsBytes = append(nc.TolerationsBytes, append([]byte(nil), bs...))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("nodeClaim: %w", err)
	}
	return nc, nil
}
