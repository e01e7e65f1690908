package batch

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"kurator.dev/kurator/pkg/estimator"
)

// Memo keeps answers that stay true across cycles while their inputs do not change:
// each job's admission shape (its gang and PodGroup minResources) and whether it could
// fit a member's empty snapshot. A controller keeps one Memo and passes it in every
// Input; a member's answers are dropped when its empty snapshot changes (a node or queue
// changed), and a job's entries when a cycle passes without it. It holds no clock and is
// safe for concurrent use.
type Memo struct {
	mu      sync.Mutex
	members map[string]*memberMemo
	// shapes holds this cycle's shapes, prevShapes the previous cycle's.
	shapes, prevShapes map[string]*jobShape
}

type memberMemo struct {
	empty *estimator.Snapshot
	fits  map[string]emptyAnswer
}

type emptyAnswer struct {
	ok  bool
	why string
}

// NewMemo returns an empty memo.
func NewMemo() *Memo {
	return &Memo{members: map[string]*memberMemo{}, shapes: map[string]*jobShape{}, prevShapes: map[string]*jobShape{}}
}

// beginCycle forgets the shapes of jobs the previous cycle did not look at.
func (m *Memo) beginCycle() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prevShapes, m.shapes = m.shapes, map[string]*jobShape{}
}

func (m *Memo) shape(key string) *jobShape {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.shapes[key]; ok {
		return s
	}
	if s, ok := m.prevShapes[key]; ok {
		m.shapes[key] = s
		return s
	}
	return nil
}

func (m *Memo) setShape(key string, s *jobShape) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shapes[key] = s
}

func (m *Memo) emptyFits(member string, snap *estimator.Snapshot, key string) (emptyAnswer, bool) {
	if m == nil {
		return emptyAnswer{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mm := m.members[member]
	if mm == nil || mm.empty != snap {
		return emptyAnswer{}, false
	}
	a, known := mm.fits[key]
	return a, known
}

func (m *Memo) setEmptyFits(member string, snap *estimator.Snapshot, key string, a emptyAnswer) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mm := m.members[member]
	if mm == nil || mm.empty != snap {
		mm = &memberMemo{empty: snap, fits: map[string]emptyAnswer{}}
		m.members[member] = mm
	}
	mm.fits[key] = a
}

// fingerprint identifies what a job's admission depends on besides the member: its key,
// namespace and gang shape (tasks, requests, node restrictions).
func fingerprint(j *Job) string {
	var b strings.Builder
	b.WriteString(j.Namespace)
	b.WriteByte('/')
	b.WriteString(j.Name)
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(int(j.MinAvailable)))
	for i := range j.Tasks {
		t := &j.Tasks[i]
		b.WriteByte('|')
		b.WriteString(t.Name)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(t.Replicas)))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(int(t.minAvailable())))
		names := make([]string, 0, len(t.Requests))
		for n := range t.Requests {
			names = append(names, string(n))
		}
		sort.Strings(names)
		for _, n := range names {
			q := t.Requests[corev1.ResourceName(n)]
			b.WriteString(n)
			b.WriteByte('=')
			b.WriteString(q.String())
			b.WriteByte(',')
		}
		keys := make([]string, 0, len(t.NodeSelector))
		for k := range t.NodeSelector {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.WriteString(k + "=" + t.NodeSelector[k] + ";")
		}
		if t.NodeAffinity != nil {
			b.WriteString(t.NodeAffinity.String())
		}
		for k := range t.Tolerations {
			b.WriteString(t.Tolerations[k].String())
		}
	}
	return b.String()
}
