package estimator

import (
	"sort"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	schedcorev1 "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

// unschedulableTaint is the taint an unschedulable node stands for.
var unschedulableTaint = corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}

// maxProjectedKeys bounds the number of label keys a claim may reference for the
// projection shortcut; claims referencing more are matched node by node.
const maxProjectedKeys = 6

// matchCacheSize is the number of node claims whose matching nodes a topology remembers.
const matchCacheSize = 256

// taintGroup is a distinct (unschedulable, scheduling taints) combination of nodes.
type taintGroup struct {
	unschedulable bool
	taints        []corev1.Taint
}

// labelColumn is one label key across all nodes: the index of each node's value in
// values, or -1 when the node lacks the key.
type labelColumn struct {
	ids    []int32
	values []string
}

// topology is the part of a snapshot that only changes when nodes are added, removed,
// relabelled, tainted or cordoned: node identities and what node claims match.
// It is shared by successive snapshots while it does not change.
type topology struct {
	nodes      []*corev1.Node // stripped to name, labels, taints and unschedulable
	index      map[string]int32
	taintGroup []int32
	groups     []taintGroup

	colMu   sync.Mutex
	columns map[string]*labelColumn

	cacheMu sync.Mutex
	cache   map[string]*matchEntry
	clock   uint64
}

type matchEntry struct {
	nodes []int32
	used  uint64
}

// newTopology indexes nodes (already sorted by name).
func newTopology(nodes []*corev1.Node) *topology {
	t := &topology{
		nodes:      nodes,
		index:      make(map[string]int32, len(nodes)),
		taintGroup: make([]int32, len(nodes)),
		columns:    map[string]*labelColumn{},
		cache:      map[string]*matchEntry{},
	}
	groupOf := map[string]int32{}
	for i, n := range nodes {
		t.index[n.Name] = int32(i)
		var scheduling []corev1.Taint
		for _, taint := range n.Spec.Taints {
			if taint.Effect == corev1.TaintEffectNoSchedule || taint.Effect == corev1.TaintEffectNoExecute {
				scheduling = append(scheduling, taint)
			}
		}
		key := taintKey(n.Spec.Unschedulable, scheduling)
		g, ok := groupOf[key]
		if !ok {
			g = int32(len(t.groups))
			groupOf[key] = g
			t.groups = append(t.groups, taintGroup{unschedulable: n.Spec.Unschedulable, taints: scheduling})
		}
		t.taintGroup[i] = g
	}
	return t
}

func taintKey(unschedulable bool, taints []corev1.Taint) string {
	parts := make([]string, 0, len(taints)+1)
	if unschedulable {
		parts = append(parts, "!unschedulable")
	}
	for _, t := range taints {
		parts = append(parts, t.Key+"="+t.Value+":"+string(t.Effect))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// column returns the label column of key, building it on first use.
func (t *topology) column(key string) *labelColumn {
	t.colMu.Lock()
	defer t.colMu.Unlock()
	if c, ok := t.columns[key]; ok {
		return c
	}
	c := &labelColumn{ids: make([]int32, len(t.nodes))}
	seen := map[string]int32{}
	for i, n := range t.nodes {
		v, ok := n.Labels[key]
		if !ok {
			c.ids[i] = -1
			continue
		}
		id, ok := seen[v]
		if !ok {
			id = int32(len(c.values))
			seen[v] = id
			c.values = append(c.values, v)
		}
		c.ids[i] = id
	}
	t.columns[key] = c
	return c
}

// nodeClaim is a component's node restrictions, parsed once per request.
type nodeClaim struct {
	key         string
	selector    map[string]string
	affinity    *corev1.NodeSelector
	tolerations []corev1.Toleration
	required    nodeaffinity.RequiredNodeAffinity
	hasAffinity bool
	keys        []string
	usesFields  bool
}

// newNodeClaim parses a component's restrictions; key identifies equal claims.
func newNodeClaim(key string, selector map[string]string, affinity *corev1.NodeSelector, tolerations []corev1.Toleration) *nodeClaim {
	c := &nodeClaim{key: key, selector: selector, affinity: affinity, tolerations: tolerations}
	pod := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: selector}}
	if affinity != nil {
		pod.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: affinity}}
	}
	c.required = nodeaffinity.GetRequiredNodeAffinity(pod)
	c.hasAffinity = len(selector) > 0 || affinity != nil
	keys := map[string]struct{}{}
	for k := range selector {
		keys[k] = struct{}{}
	}
	if affinity != nil {
		for _, term := range affinity.NodeSelectorTerms {
			for _, e := range term.MatchExpressions {
				keys[e.Key] = struct{}{}
			}
			if len(term.MatchFields) > 0 {
				c.usesFields = true
			}
		}
	}
	for k := range keys {
		c.keys = append(c.keys, k)
	}
	sort.Strings(c.keys)
	return c
}

// tolerates reports whether the claim's tolerations let a pod onto nodes of the group,
// as Karmada's estimator decides it (comparison operators off).
func (c *nodeClaim) tolerates(g *taintGroup) bool {
	logger := klog.Background()
	if g.unschedulable && !schedcorev1.TolerationsTolerateTaint(logger, c.tolerations, &unschedulableTaint, false) {
		return false
	}
	if len(g.taints) == 0 {
		return true
	}
	_, untolerated := schedcorev1.FindMatchingUntoleratedTaint(logger, g.taints, c.tolerations, nil, false)
	return !untolerated
}

// matchComponent returns the indices (ascending) of the nodes a component may use.
// Results are cached by the component's claim key, so a claim seen before is not parsed
// again.
func (t *topology) matchComponent(c *Component) []int32 {
	key := claimKey(c)
	if key != "" {
		t.cacheMu.Lock()
		if e, ok := t.cache[key]; ok {
			t.clock++
			e.used = t.clock
			t.cacheMu.Unlock()
			return e.nodes
		}
		t.cacheMu.Unlock()
	}
	return t.match(newNodeClaim(key, c.NodeSelector, c.NodeAffinity, c.Tolerations))
}

// match returns the indices (ascending) of the nodes the claim allows. Results are cached
// by claim key.
func (t *topology) match(c *nodeClaim) []int32 {
	if c.key != "" {
		t.cacheMu.Lock()
		if e, ok := t.cache[c.key]; ok {
			t.clock++
			e.used = t.clock
			t.cacheMu.Unlock()
			return e.nodes
		}
		t.cacheMu.Unlock()
	}
	out := t.computeMatch(c)
	if c.key != "" {
		t.cacheMu.Lock()
		if len(t.cache) >= matchCacheSize {
			t.evictOldest()
		}
		t.clock++
		t.cache[c.key] = &matchEntry{nodes: out, used: t.clock}
		t.cacheMu.Unlock()
	}
	return out
}

func (t *topology) evictOldest() {
	var oldest string
	var at uint64
	for k, e := range t.cache {
		if oldest == "" || e.used < at {
			oldest, at = k, e.used
		}
	}
	delete(t.cache, oldest)
}

func (t *topology) computeMatch(c *nodeClaim) []int32 {
	tolerated := make([]bool, len(t.groups))
	for g := range t.groups {
		tolerated[g] = c.tolerates(&t.groups[g])
	}
	affinityOK := t.affinityMatcher(c)
	out := make([]int32, 0, len(t.nodes))
	for i := range t.nodes {
		if tolerated[t.taintGroup[i]] && affinityOK(i) {
			out = append(out, int32(i))
		}
	}
	return out
}

// affinityMatcher returns a per-node test equal to nodeaffinity's RequiredNodeAffinity
// Match. A label selector only reads the label keys it names, so nodes with equal values
// of those keys get the same answer: the matcher evaluates Match once per distinct
// combination on a node carrying only those labels. Claims with matchFields or many keys
// are evaluated node by node.
func (t *topology) affinityMatcher(c *nodeClaim) func(i int) bool {
	if !c.hasAffinity {
		return func(int) bool { return true }
	}
	if c.usesFields || len(c.keys) > maxProjectedKeys {
		return func(i int) bool {
			ok, _ := c.required.Match(t.nodes[i])
			return ok
		}
	}
	cols := make([]*labelColumn, len(c.keys))
	radix := make([]int, len(c.keys))
	dense := 1
	for j, k := range c.keys {
		cols[j] = t.column(k)
		radix[j] = len(cols[j].values) + 1
		if dense > 0 {
			dense *= radix[j]
			if dense > 1<<16 {
				dense = 0
			}
		}
	}
	eval := func(i int) bool {
		labels := make(map[string]string, len(cols))
		for j, col := range cols {
			if id := col.ids[i]; id >= 0 {
				labels[c.keys[j]] = col.values[id]
			}
		}
		ok, _ := c.required.Match(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: t.nodes[i].Name, Labels: labels}})
		return ok
	}
	if dense > 0 {
		results := make([]int8, dense) // 0 unknown, 1 match, 2 no match
		return func(i int) bool {
			code := 0
			for j, col := range cols {
				code = code*radix[j] + int(col.ids[i]+1)
			}
			switch results[code] {
			case 1:
				return true
			case 2:
				return false
			}
			ok := eval(i)
			if ok {
				results[code] = 1
			} else {
				results[code] = 2
			}
			return ok
		}
	}
	results := map[[maxProjectedKeys]int32]bool{}
	return func(i int) bool {
		var code [maxProjectedKeys]int32
		for j, col := range cols {
			code[j] = col.ids[i]
		}
		if ok, seen := results[code]; seen {
			return ok
		}
		ok := eval(i)
		results[code] = ok
		return ok
	}
}
