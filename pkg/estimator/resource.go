package estimator

import (
	"math"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// minResource is the tolerance Volcano uses when it compares resource amounts.
const minResource = 0.1

// dimDefault is what a scalar resource missing on one side of a comparison stands for,
// as Volcano's DimensionDefaultValue.
type dimDefault int

const (
	dimZero     dimDefault = 0
	dimInfinity dimDefault = -1
)

// vres is a resource vector in Volcano's scheduler units and with Volcano's arithmetic:
// cpu in millicores, memory in bytes, every scalar resource (extended resources,
// hugepages, ephemeral-storage) in milli-units, except "pods", which counts pods.
// The presence of a key in scalars matters exactly as it does in Volcano (comparisons
// treat a missing key according to a dimDefault), so operations keep Volcano's key sets.
type vres struct {
	cpu     float64
	mem     float64
	scalars map[corev1.ResourceName]float64
}

// newVres converts a ResourceList the way Volcano's api.NewResource does: cpu by
// MilliValue, memory by Value, pods by Value, other scalar resource names by MilliValue;
// quota counters (count/*) and names that are not scalar resources are dropped.
func newVres(rl corev1.ResourceList) vres {
	var r vres
	for name, q := range rl {
		switch name {
		case corev1.ResourceCPU:
			r.cpu += float64(q.MilliValue())
		case corev1.ResourceMemory:
			r.mem += float64(q.Value())
		case corev1.ResourcePods:
			r.addScalar(name, float64(q.Value()))
		case corev1.ResourceEphemeralStorage:
			r.addScalar(name, float64(q.MilliValue()))
		default:
			if strings.HasPrefix(string(name), "count/") || !isScalarResourceName(name) {
				continue
			}
			r.addScalar(name, float64(q.MilliValue()))
		}
	}
	return r
}

func (r *vres) addScalar(name corev1.ResourceName, v float64) {
	if r.scalars == nil {
		r.scalars = map[corev1.ResourceName]float64{}
	}
	r.scalars[name] += v
}

func (r vres) get(name corev1.ResourceName) float64 {
	switch name {
	case corev1.ResourceCPU:
		return r.cpu
	case corev1.ResourceMemory:
		return r.mem
	default:
		return r.scalars[name]
	}
}

func (r vres) clone() vres {
	c := vres{cpu: r.cpu, mem: r.mem}
	if r.scalars != nil {
		c.scalars = make(map[corev1.ResourceName]float64, len(r.scalars))
		for k, v := range r.scalars {
			c.scalars[k] = v
		}
	}
	return c
}

// add adds rr to r in place (api.Resource.Add).
func (r *vres) add(rr vres) *vres {
	r.cpu += rr.cpu
	r.mem += rr.mem
	for k, v := range rr.scalars {
		if r.scalars == nil {
			r.scalars = map[corev1.ResourceName]float64{}
		}
		r.scalars[k] += v
	}
	return r
}

// sub subtracts rr from r in place; like Volcano it only touches scalars r already has.
func (r *vres) sub(rr vres) *vres {
	r.cpu -= rr.cpu
	r.mem -= rr.mem
	if r.scalars == nil {
		return r
	}
	for k, v := range rr.scalars {
		r.scalars[k] -= v
	}
	return r
}

// multi scales r in place (api.Resource.Multi).
func (r *vres) multi(f float64) *vres {
	r.cpu *= f
	r.mem *= f
	for k, v := range r.scalars {
		r.scalars[k] = v * f
	}
	return r
}

// scaled returns r*k without touching r.
func (r vres) scaled(k float64) vres {
	c := r.clone()
	c.multi(k)
	return c
}

// isEmpty is api.Resource.IsEmpty: every dimension below minResource, pods ignored.
func (r vres) isEmpty() bool {
	if r.cpu >= minResource || r.mem >= minResource {
		return false
	}
	for k, v := range r.scalars {
		if k == corev1.ResourcePods {
			continue
		}
		if v >= minResource {
			return false
		}
	}
	return true
}

// diff is api.Resource.Diff: the per-dimension increase and decrease from rr to r,
// missing scalars standing for def.
func (r vres) diff(rr vres, def dimDefault) (inc, dec vres) {
	l, rt := r.clone(), rr.clone()
	if l.scalars == nil {
		l.scalars = map[corev1.ResourceName]float64{}
	}
	if rt.scalars == nil {
		rt.scalars = map[corev1.ResourceName]float64{}
	}
	for k := range l.scalars {
		if _, ok := rt.scalars[k]; !ok {
			rt.scalars[k] = float64(def)
		}
	}
	for k := range rt.scalars {
		if _, ok := l.scalars[k]; !ok {
			l.scalars[k] = float64(def)
		}
	}
	if l.cpu > rt.cpu {
		inc.cpu = l.cpu - rt.cpu
	} else {
		dec.cpu = rt.cpu - l.cpu
	}
	if l.mem > rt.mem {
		inc.mem = l.mem - rt.mem
	} else {
		dec.mem = rt.mem - l.mem
	}
	inc.scalars = map[corev1.ResourceName]float64{}
	dec.scalars = map[corev1.ResourceName]float64{}
	for k, lq := range l.scalars {
		rq := rt.scalars[k]
		switch {
		case lq == float64(dimInfinity):
			inc.scalars[k] = lq
		case rq == float64(dimInfinity):
			dec.scalars[k] = rq
		case lq > rq:
			inc.scalars[k] = lq - rq
		default:
			dec.scalars[k] = rq - lq
		}
	}
	return inc, dec
}

// exceededPart is api.ExceededPart: (l - r)+ per dimension.
func exceededPart(l, r vres) vres {
	inc, _ := l.diff(r, dimZero)
	return inc
}

// minDimension is api.Resource.MinDimensionResource: r = min(r, rr) per dimension of r,
// a scalar missing in rr standing for def.
func (r *vres) minDimension(rr vres, def dimDefault) *vres {
	if rr.cpu < r.cpu {
		r.cpu = rr.cpu
	}
	if rr.mem < r.mem {
		r.mem = rr.mem
	}
	if r.scalars == nil {
		return r
	}
	if rr.scalars == nil {
		if def == dimInfinity {
			return r
		}
		for k := range r.scalars {
			r.scalars[k] = 0
		}
		return r
	}
	for k, v := range r.scalars {
		if rv, ok := rr.scalars[k]; ok {
			r.scalars[k] = math.Min(v, rv)
		} else if def != dimInfinity {
			r.scalars[k] = 0
		}
	}
	return r
}

// maxVres is helpers.Max: the larger value of each dimension, negative scalars dropped.
func maxVres(l, r vres) vres {
	res := vres{cpu: math.Max(l.cpu, r.cpu), mem: math.Max(l.mem, r.mem)}
	if l.scalars == nil && r.scalars == nil {
		return res
	}
	res.scalars = map[corev1.ResourceName]float64{}
	for k, v := range l.scalars {
		if v >= 0 {
			res.scalars[k] = v
		}
	}
	for k, v := range r.scalars {
		if v >= 0 {
			res.scalars[k] = math.Max(v, res.scalars[k])
		}
	}
	return res
}

func lessEqualTol(l, r float64) bool {
	return l < r || math.Abs(l-r) < minResource
}

// lessEqual is api.Resource.LessEqual with a tolerance of minResource.
func (r vres) lessEqual(rr vres, def dimDefault) bool {
	if !lessEqualTol(r.cpu, rr.cpu) || !lessEqualTol(r.mem, rr.mem) {
		return false
	}
	if def == dimInfinity {
		for k := range rr.scalars {
			if _, ok := r.scalars[k]; !ok {
				return false
			}
		}
	}
	for k, lv := range r.scalars {
		rv, ok := rr.scalars[k]
		if !ok && def == dimInfinity {
			continue
		}
		if !lessEqualTol(lv, rv) {
			return false
		}
	}
	return true
}

// lessEqualWithDimension is api.Resource.LessEqualWithDimensionAndResourcesName: r <= rr
// on the dimensions req asks for (pods never counts), strictly, without tolerance. It
// returns the names of the dimensions that do not fit, sorted.
func (r vres) lessEqualWithDimension(rr vres, req vres) (bool, []string) {
	var short []string
	if req.cpu > 0 && r.cpu > rr.cpu {
		short = append(short, string(corev1.ResourceCPU))
	}
	if req.mem > 0 && r.mem > rr.mem {
		short = append(short, string(corev1.ResourceMemory))
	}
	if r.scalars != nil {
		for k, q := range req.scalars {
			if k == corev1.ResourcePods {
				continue
			}
			if q > 0 && r.scalars[k] > rr.scalars[k] {
				short = append(short, string(k))
			}
		}
	}
	sort.Strings(short)
	return len(short) == 0, short
}

// lessEqualPartlyWithDimensionZeroFiltered is the capacity plugin's "preemptive" test:
// true when on at least one dimension req asks for (and where r or rr is not zero) r <= rr.
func (r vres) lessEqualPartlyWithDimensionZeroFiltered(rr vres, req vres) bool {
	if req.cpu > 0 && (r.cpu >= minResource || rr.cpu >= minResource) && lessEqualTol(r.cpu, rr.cpu) {
		return true
	}
	if req.mem > 0 && (r.mem >= minResource || rr.mem >= minResource) && lessEqualTol(r.mem, rr.mem) {
		return true
	}
	for k, q := range req.scalars {
		if k == corev1.ResourcePods || q <= 0 {
			continue
		}
		rv, rrv := r.get(k), rr.get(k)
		if (rv >= minResource || rrv >= minResource) && lessEqualTol(rv, rrv) {
			return true
		}
	}
	return false
}

// semanticEqual is equality.Semantic.DeepEqual on two api.Resource values: exact floats,
// and a nil scalar map equal to an empty one, but different key sets are different.
func (r vres) semanticEqual(rr vres) bool {
	if r.cpu != rr.cpu || r.mem != rr.mem || len(r.scalars) != len(rr.scalars) {
		return false
	}
	for k, v := range r.scalars {
		w, ok := rr.scalars[k]
		if !ok || v != w {
			return false
		}
	}
	return true
}

// unlimitedAmount is where amounts stop being representable as quantities; Volcano uses
// MaxFloat64 for "no cap".
const unlimitedAmount = 1e18

// resourceList converts back to Kubernetes quantities (rounding down to the unit), for
// reporting; unlimited dimensions are left out.
func (r vres) resourceList() corev1.ResourceList {
	rl := corev1.ResourceList{}
	if r.cpu < unlimitedAmount {
		rl[corev1.ResourceCPU] = *milliQuantity(r.cpu)
	}
	if r.mem < unlimitedAmount {
		rl[corev1.ResourceMemory] = *binaryQuantity(r.mem)
	}
	for k, v := range r.scalars {
		if v >= unlimitedAmount {
			continue
		}
		if k == corev1.ResourcePods {
			rl[k] = *decimalQuantity(v)
			continue
		}
		rl[k] = *milliQuantity(v)
	}
	return rl
}

// isScalarResourceName is the scheduler's IsScalarResourceName: extended resources,
// hugepages, kubernetes.io/-prefixed native resources and attachable volumes.
func isScalarResourceName(name corev1.ResourceName) bool {
	s := string(name)
	return isExtendedResourceName(name) ||
		strings.HasPrefix(s, corev1.ResourceHugePagesPrefix) ||
		strings.Contains(s, corev1.ResourceDefaultNamespacePrefix) ||
		strings.HasPrefix(s, corev1.ResourceAttachableVolumesPrefix)
}

func isNativeResource(name corev1.ResourceName) bool {
	s := string(name)
	return !strings.Contains(s, "/") || strings.Contains(s, corev1.ResourceDefaultNamespacePrefix)
}

func isExtendedResourceName(name corev1.ResourceName) bool {
	if isNativeResource(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

func milliQuantity(v float64) *resource.Quantity {
	return resource.NewMilliQuantity(int64(math.Floor(v)), resource.DecimalSI)
}

func binaryQuantity(v float64) *resource.Quantity {
	return resource.NewQuantity(int64(math.Floor(v)), resource.BinarySI)
}

func decimalQuantity(v float64) *resource.Quantity {
	return resource.NewQuantity(int64(math.Floor(v)), resource.DecimalSI)
}

// addScaled adds rr*f to r in place (r.add(rr.scaled(f)) without the copy).
func (r *vres) addScaled(rr vres, f float64) *vres {
	r.cpu += rr.cpu * f
	r.mem += rr.mem * f
	for k, v := range rr.scalars {
		if r.scalars == nil {
			r.scalars = map[corev1.ResourceName]float64{}
		}
		r.scalars[k] += v * f
	}
	return r
}

// maxWith sets r to maxVres(r, rr) in place.
func (r *vres) maxWith(rr vres) {
	r.cpu = math.Max(r.cpu, rr.cpu)
	r.mem = math.Max(r.mem, rr.mem)
	if r.scalars == nil && rr.scalars == nil {
		return
	}
	if r.scalars == nil {
		r.scalars = make(map[corev1.ResourceName]float64, len(rr.scalars))
	}
	for k, v := range r.scalars {
		if v < 0 {
			delete(r.scalars, k)
		}
	}
	for k, v := range rr.scalars {
		if v >= 0 {
			r.scalars[k] = math.Max(v, r.scalars[k])
		}
	}
}

// accumulateDiff adds r.diff(rr, dimZero) into inc and dec without intermediate copies,
// keeping the key sets Volcano's Diff and Add produce.
func (r vres) accumulateDiff(rr vres, inc, dec *vres) {
	if r.cpu > rr.cpu {
		inc.cpu += r.cpu - rr.cpu
	} else {
		dec.cpu += rr.cpu - r.cpu
	}
	if r.mem > rr.mem {
		inc.mem += r.mem - rr.mem
	} else {
		dec.mem += rr.mem - r.mem
	}
	if inc.scalars == nil {
		inc.scalars = map[corev1.ResourceName]float64{}
	}
	if dec.scalars == nil {
		dec.scalars = map[corev1.ResourceName]float64{}
	}
	one := func(k corev1.ResourceName, l, rq float64) {
		switch {
		case l == float64(dimInfinity):
			inc.scalars[k] += l
		case rq == float64(dimInfinity):
			dec.scalars[k] += rq
		case l > rq:
			inc.scalars[k] += l - rq
		default:
			dec.scalars[k] += rq - l
		}
	}
	for k, l := range r.scalars {
		one(k, l, rr.scalars[k])
	}
	for k, rq := range rr.scalars {
		if _, ok := r.scalars[k]; !ok {
			one(k, 0, rq)
		}
	}
}
