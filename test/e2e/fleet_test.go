package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/keyutil"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	kuratorclientset "kurator.dev/kurator/pkg/generated/clientset/versioned"
	kuratorinformers "kurator.dev/kurator/pkg/generated/informers/externalversions"
	"kurator.dev/kurator/pkg/localup"
)

// This file tests the fleet.kurator.dev API as users meet it: through the Karmada apiserver,
// with kubectl itself, and across a crash of kurator-apiserver and etcd.

// uniqueName returns a fleet name no other run uses.
func uniqueName(prefix string) string {
	return "e2e-" + prefix + "-" + rand.String(6)
}

// fleetClient returns a client of fleet.kurator.dev through the Karmada apiserver.
func fleetClient(t *testing.T) kuratorclientset.Interface {
	t.Helper()
	c, err := kuratorclientset.NewForConfig(env.karmada.Config)
	if err != nil {
		t.Fatalf("creating the kurator client: %v", err)
	}
	return c
}

// deleteFleetOnCleanup deletes the fleet when the test ends, whether or not it still exists.
func deleteFleetOnCleanup(t *testing.T, name string) {
	t.Helper()
	client := fleetClient(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := client.FleetV1alpha1().Fleets().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Logf("deleting fleet %s: %v", name, err)
		}
	})
}

// fleetYAML is a Fleet manifest with the given spec, written as YAML flow mappings.
func fleetYAML(name, spec string) string {
	return fmt.Sprintf("apiVersion: fleet.kurator.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: %s\n  labels: {e2e: fleet}\nspec: %s\n", name, spec)
}

// memberNames are the names of the scenario's members, sorted.
func memberNames() []string {
	var names []string
	for _, m := range env.scenario.Members {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return names
}

// readyMemberSums reads the Karmada Clusters of the scenario and returns how many are ready
// and their summed allocatable and allocated resources, as a fleet of all of them reports.
func readyMemberSums(ctx context.Context) (int, corev1.ResourceList, corev1.ResourceList, error) {
	ready := 0
	allocatable, allocated := corev1.ResourceList{}, corev1.ResourceList{}
	for _, name := range memberNames() {
		c, err := env.karmada.Karmada.ClusterV1alpha1().Clusters().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return 0, nil, nil, fmt.Errorf("getting cluster %s: %w", name, err)
		}
		cond := meta.FindStatusCondition(c.Status.Conditions, clusterv1alpha1.ClusterConditionReady)
		if cond == nil || cond.Status != metav1.ConditionTrue || c.Status.ResourceSummary == nil {
			continue
		}
		ready++
		for _, sum := range []struct {
			to   corev1.ResourceList
			from corev1.ResourceList
		}{{allocatable, c.Status.ResourceSummary.Allocatable}, {allocated, c.Status.ResourceSummary.Allocated}} {
			for k, q := range sum.from {
				total := sum.to[k]
				total.Add(q)
				sum.to[k] = total
			}
		}
	}
	return ready, allocatable, allocated, nil
}

// tableRow parses the output of `kubectl get` for one object into column → cell.
func tableRow(out string) (header []string, row map[string]string, err error) {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		return nil, nil, fmt.Errorf("want a header and one row, got %d lines", len(lines))
	}
	header, cells := strings.Fields(lines[0]), strings.Fields(lines[1])
	if len(header) != len(cells) {
		return header, nil, fmt.Errorf("%d columns but %d cells", len(header), len(cells))
	}
	row = map[string]string{}
	for i, h := range header {
		row[h] = cells[i]
	}
	return header, row, nil
}

// usageMatches checks a cell "allocated/allocatable" against the expected quantities.
func usageMatches(cell string, allocated, allocatable resource.Quantity) error {
	parts := strings.Split(cell, "/")
	if len(parts) != 2 {
		return fmt.Errorf("cell %q is not allocated/allocatable", cell)
	}
	for i, want := range []resource.Quantity{allocated, allocatable} {
		got, err := resource.ParseQuantity(parts[i])
		if err != nil {
			return fmt.Errorf("cell %q: %w", cell, err)
		}
		if got.Cmp(want) != 0 {
			return fmt.Errorf("cell %q, want %s/%s", cell, allocated.String(), allocatable.String())
		}
	}
	return nil
}

// getFleetJSON reads a fleet with kubectl, as JSON.
func getFleetJSON(t *testing.T, name string, extra ...string) *fleetv1alpha1.Fleet {
	t.Helper()
	out := kubectlOK(t, "", append([]string{"get", "fleet", name, "-o", "json"}, extra...)...)
	f := &fleetv1alpha1.Fleet{}
	if err := json.Unmarshal([]byte(out), f); err != nil {
		t.Fatalf("decoding fleet %s: %v\n%s", name, err, out)
	}
	return f
}

func readyCondition(f *fleetv1alpha1.Fleet) *metav1.Condition {
	return meta.FindStatusCondition(f.Status.Conditions, "Ready")
}

// TestFleetApplyGetExplainDelete walks one fleet through what a kubectl user does: apply it
// from YAML, read it in tables and categories, explain its fields and delete it.
func TestFleetApplyGetExplainDelete(t *testing.T) {
	name := uniqueName("apply")
	deleteFleetOnCleanup(t, name)
	members := memberNames()
	manifest := fleetYAML(name, fmt.Sprintf("{clusters: [%s], telemetry: {thanosQueryURL: %q}}", strings.Join(members, ", "), env.thanos))

	out := kubectlOK(t, manifest, "apply", "-f", "-")
	requireContains(t, "kubectl apply", out, "fleet.fleet.kurator.dev/"+name+" created")

	f := getFleetJSON(t, name)
	if !slices.Equal(f.Spec.Clusters, members) || f.Spec.Telemetry == nil || f.Spec.Telemetry.ThanosQueryURL != env.thanos {
		t.Errorf("stored spec %+v, want clusters %v and telemetry %s", f.Spec, members, env.thanos)
	}
	if f.Spec.Telemetry != nil && f.Spec.Telemetry.ClusterLabel != fleetv1alpha1.DefaultClusterLabel {
		t.Errorf("spec.telemetry.clusterLabel = %q, want the default %q", f.Spec.Telemetry.ClusterLabel, fleetv1alpha1.DefaultClusterLabel)
	}
	if f.Generation != 1 {
		t.Errorf("generation %d after create, want 1", f.Generation)
	}

	t.Run("get -o wide", func(t *testing.T) {
		eventually(t, 2*time.Minute, "fleet "+name+" wide row matches the members", func(ctx context.Context) (bool, string) {
			ready, allocatable, allocated, err := readyMemberSums(ctx)
			if err != nil {
				return false, err.Error()
			}
			r := kubectl(t, "", "get", "fleets", name, "-o", "wide")
			if r.err != nil {
				return false, r.String()
			}
			header, row, err := tableRow(r.stdout)
			if err != nil {
				return false, err.Error() + "\n" + r.stdout
			}
			wantHeader := []string{"NAME", "READY", "MISSING", "CPU", "AGE", "MEMORY", "SELECTOR", "TELEMETRY"}
			if !slices.Equal(header, wantHeader) {
				return false, fmt.Sprintf("header %v, want %v", header, wantHeader)
			}
			var problems []string
			if want := fmt.Sprintf("%d/%d", len(members), len(members)); row["READY"] != want || ready != len(members) {
				problems = append(problems, fmt.Sprintf("READY %q with %d clusters ready, want %s", row["READY"], ready, want))
			}
			if row["NAME"] != name || row["MISSING"] != "0" || row["SELECTOR"] != "<none>" || row["TELEMETRY"] != env.thanos {
				problems = append(problems, fmt.Sprintf("row %v", row))
			}
			if err := usageMatches(row["CPU"], allocated[corev1.ResourceCPU], allocatable[corev1.ResourceCPU]); err != nil {
				problems = append(problems, "CPU: "+err.Error())
			}
			if err := usageMatches(row["MEMORY"], allocated[corev1.ResourceMemory], allocatable[corev1.ResourceMemory]); err != nil {
				problems = append(problems, "MEMORY: "+err.Error())
			}
			if allocatable.Cpu().IsZero() {
				problems = append(problems, "the members report no allocatable CPU")
			}
			return len(problems) == 0, strings.Join(problems, "; ")
		})

		header, _, err := tableRow(kubectlOK(t, "", "get", "fleets", name))
		if want := []string{"NAME", "READY", "MISSING", "CPU", "AGE"}; err != nil || !slices.Equal(header, want) {
			t.Errorf("`kubectl get fleets` header %v (%v), want %v", header, err, want)
		}
	})

	t.Run("short name and kurator category", func(t *testing.T) {
		want := "fleet.fleet.kurator.dev/" + name
		if out := kubectlOK(t, "", "get", "fl", name, "-o", "name"); strings.TrimSpace(out) != want {
			t.Errorf("`kubectl get fl %s -o name` printed %q, want %q", name, out, want)
		}
		out := kubectlOK(t, "", "get", "kurator", "-o", "name")
		if !slices.Contains(strings.Fields(out), want) {
			t.Errorf("`kubectl get kurator -o name` does not list %s:\n%s", want, out)
		}
		out = kubectlOK(t, "", "api-resources", "--categories=kurator", "-o", "name")
		if !slices.Contains(strings.Fields(out), "fleets.fleet.kurator.dev") {
			t.Errorf("`kubectl api-resources --categories=kurator` does not list fleets:\n%s", out)
		}
	})

	t.Run("explain", func(t *testing.T) {
		out := kubectlOK(t, "", "explain", "fleets.spec.telemetry")
		requireContains(t, "kubectl explain fleets.spec.telemetry", out, "GROUP:      fleet.kurator.dev", "FIELDS:", "clusterLabel", "clusterMapping",
			"must be an absolute http or https URL")
		if !regexp.MustCompile(`thanosQueryURL\s+<string> -required-`).MatchString(out) {
			t.Errorf("explain does not mark thanosQueryURL required:\n%s", out)
		}
		requireContains(t, "kubectl explain fleets.status.members", kubectlOK(t, "", "explain", "fleets.status.members"),
			"Members reports every member, sorted by name", "allocatable", "reason")
		// explain wraps descriptions; compare with the whitespace collapsed.
		port := strings.Join(strings.Fields(kubectlOK(t, "", "explain", "fleets.spec.mesh.networks.gateways.port")), " ")
		requireContains(t, "kubectl explain fleets.spec.mesh.networks.gateways.port", port, "FIELD: port <integer>", "Defaults to 15443")

		// Every field of every kurator schema carries a description, so explain documents it.
		var doc struct {
			Components struct {
				Schemas map[string]struct {
					Description string `json:"description"`
					Properties  map[string]struct {
						Description string `json:"description"`
					} `json:"properties"`
				} `json:"schemas"`
			} `json:"components"`
		}
		raw := kubectlOK(t, "", "get", "--raw", "/openapi/v3/apis/fleet.kurator.dev/v1alpha1")
		if err := json.Unmarshal([]byte(raw), &doc); err != nil {
			t.Fatalf("decoding the OpenAPI v3 document: %v", err)
		}
		kinds := 0
		for schemaName, s := range doc.Components.Schemas {
			if !strings.HasPrefix(schemaName, "dev.kurator.") {
				continue
			}
			kinds++
			if s.Description == "" {
				t.Errorf("schema %s has no description", schemaName)
			}
			for prop, p := range s.Properties {
				if p.Description == "" && prop != "apiVersion" && prop != "kind" {
					t.Errorf("field %s of %s has no description", prop, schemaName)
				}
			}
		}
		if kinds < 10 {
			t.Errorf("the OpenAPI v3 document has %d kurator schemas, want the 11 of fleet.kurator.dev/v1alpha1", kinds)
		}
	})

	t.Run("optimistic concurrency", func(t *testing.T) {
		stale := getFleetJSON(t, name)
		stale.Labels["e2e-step"] = "one"
		body, err := json.Marshal(stale)
		if err != nil {
			t.Fatal(err)
		}
		kubectlOK(t, string(body), "replace", "-f", "-")
		stale.Labels["e2e-step"] = "two"
		body, _ = json.Marshal(stale)
		stderr := kubectlFails(t, string(body), "replace", "-f", "-")
		requireContains(t, "replace with a stale resourceVersion", stderr, "Conflict", "the object has been modified")
		if got := getFleetJSON(t, name).Labels["e2e-step"]; got != "one" {
			t.Errorf("label e2e-step = %q after the conflicting replace, want %q", got, "one")
		}
	})

	t.Run("status subresource", func(t *testing.T) {
		r := kubectl(t, "", "patch", "fleet", name, "--subresource=status", "--type=merge", "-p", `{"status":{"readyClusters":99,"missingClusters":["x"]}}`)
		if r.err != nil {
			t.Fatalf("patching the status: %s", r)
		}
		requireContains(t, "status patch", r.stderr, "Warning:", "computed from Karmada's Clusters on every read")
		out := kubectlOK(t, "", "get", "fleet", name, "--subresource=status", "-o", "jsonpath={.status.readyClusters}/{.status.matchedClusters}/{.status.missingClusters}")
		if want := fmt.Sprintf("%d/%d/", len(members), len(members)); out != want {
			t.Errorf("status after writing it: %q, want %q (computed, not the written 99)", out, want)
		}
	})

	t.Run("delete", func(t *testing.T) {
		out := kubectlOK(t, "", "delete", "fleet", name)
		requireContains(t, "kubectl delete", out, `fleet.fleet.kurator.dev "`+name+`" deleted`)
		stderr := kubectlFails(t, "", "get", "fleet", name)
		requireContains(t, "get after delete", stderr, "NotFound", `fleets.fleet.kurator.dev "`+name+`" not found`)
	})
}

// TestFleetServerSideApplyConflict applies the same field from two field managers.
func TestFleetServerSideApplyConflict(t *testing.T) {
	name := uniqueName("ssa")
	deleteFleetOnCleanup(t, name)
	manifest := func(url string) string {
		return fleetYAML(name, fmt.Sprintf("{clusters: [%s], telemetry: {thanosQueryURL: %q}}", memberNames()[0], url))
	}

	out := kubectlOK(t, manifest("http://thanos-a.example:9090"), "apply", "--server-side", "--field-manager=a", "-f", "-")
	requireContains(t, "first apply", out, "serverside-applied")

	stderr := kubectlFails(t, manifest("http://thanos-b.example:9090"), "apply", "--server-side", "--field-manager=b", "-f", "-")
	requireContains(t, "conflicting apply", stderr, "Apply failed with 1 conflict", `conflict with "a"`, ".spec.telemetry.thanosQueryURL", "--force-conflicts")
	if got := getFleetJSON(t, name).Spec.Telemetry.ThanosQueryURL; got != "http://thanos-a.example:9090" {
		t.Errorf("thanosQueryURL = %q after the rejected apply, want manager a's", got)
	}

	kubectlOK(t, manifest("http://thanos-b.example:9090"), "apply", "--server-side", "--field-manager=b", "--force-conflicts", "-f", "-")
	f := getFleetJSON(t, name, "--show-managed-fields")
	if got := f.Spec.Telemetry.ThanosQueryURL; got != "http://thanos-b.example:9090" {
		t.Errorf("thanosQueryURL = %q after the forced apply, want manager b's", got)
	}
	owners := map[string]bool{}
	for _, mf := range f.ManagedFields {
		if mf.FieldsV1 == nil {
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal(mf.FieldsV1.Raw, &fields); err != nil {
			t.Fatalf("decoding the managed fields of %s: %v", mf.Manager, err)
		}
		if _, ok := fields["f:status"]; ok {
			t.Errorf("manager %s owns status fields, which are computed and never stored: %s", mf.Manager, mf.FieldsV1.Raw)
		}
		spec, _ := fields["f:spec"].(map[string]any)
		telemetry, _ := spec["f:telemetry"].(map[string]any)
		if _, ok := telemetry["f:thanosQueryURL"]; ok {
			owners[mf.Manager+"/"+string(mf.Operation)] = true
		}
	}
	if want := map[string]bool{"b/Apply": true}; !apiequality.Semantic.DeepEqual(owners, want) {
		t.Errorf("owners of spec.telemetry.thanosQueryURL: %v, want only b (Apply); managed fields:\n%+v", owners, f.ManagedFields)
	}
}

// lineBuffer collects the lines a background process prints.
type lineBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lineBuffer) collect(r io.Reader) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		b.mu.Lock()
		b.lines = append(b.lines, s.Text())
		b.mu.Unlock()
	}
}

func (b *lineBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.lines)
}

// TestFleetKubectlWatch watches one fleet with `kubectl get --watch` while it is modified and
// deleted; every event carries the computed status.
func TestFleetKubectlWatch(t *testing.T) {
	name := uniqueName("watch")
	deleteFleetOnCleanup(t, name)
	members := memberNames()
	kubectlOK(t, fleetYAML(name, fmt.Sprintf("{clusters: [%s]}", strings.Join(members, ", "))), "create", "-f", "-")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := kubectlCommand(ctx,
		"get", "fleets", "--watch", "--output-watch-events", "--no-headers", "--field-selector", "metadata.name="+name)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting kubectl get --watch: %v", err)
	}
	var lines lineBuffer
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		lines.collect(stdout)
	}()
	t.Cleanup(func() {
		cancel()
		<-collected
		_ = cmd.Wait()
	})

	// events returns the event types seen so far for the fleet, and the READY cell of each.
	events := func() ([]string, []string, string) {
		var types, ready []string
		for _, l := range lines.snapshot() {
			f := strings.Fields(l)
			if len(f) >= 3 && f[1] == name {
				types, ready = append(types, f[0]), append(ready, f[2])
			}
		}
		return types, ready, fmt.Sprintf("lines %q, stderr %q", lines.snapshot(), stderr.String())
	}
	waitFor := func(want ...string) {
		t.Helper()
		eventually(t, time.Minute, "kubectl watch prints "+strings.Join(want, ","), func(context.Context) (bool, string) {
			types, _, seen := events()
			return slices.Equal(types, want), seen
		})
	}

	waitFor("ADDED")
	kubectlOK(t, "", "label", "fleet", name, "e2e-watch=modified")
	waitFor("ADDED", "MODIFIED")
	kubectlOK(t, "", "delete", "fleet", name)
	waitFor("ADDED", "MODIFIED", "DELETED")

	_, ready, seen := events()
	want := fmt.Sprintf("%d/%d", len(members), len(members))
	for i, r := range ready {
		if r != want {
			t.Errorf("event %d shows READY %q, want %s (status computed for watch events): %s", i, r, want, seen)
		}
	}
}

// TestFleetForbiddenWithoutRBAC checks that kurator's API is authorized like any Karmada API:
// a user without RBAC is refused by the Karmada apiserver and, asked directly, by
// kurator-apiserver's delegated authorization; a role granting reads allows reads only.
func TestFleetForbiddenWithoutRBAC(t *testing.T) {
	user := "e2e-nobody-" + rand.String(6)
	name := uniqueName("authz")
	deleteFleetOnCleanup(t, name)
	manifest := fleetYAML(name, fmt.Sprintf("{clusters: [%s]}", memberNames()[0]))

	stderr := kubectlFails(t, "", "get", "fleets", "--as="+user)
	requireContains(t, "list as "+user, stderr, "Forbidden", `User "`+user+`" cannot list resource "fleets" in API group "fleet.kurator.dev" at the cluster scope`)
	stderr = kubectlFails(t, manifest, "create", "-f", "-", "--as="+user)
	requireContains(t, "create as "+user, stderr, "Forbidden", `User "`+user+`" cannot create resource "fleets" in API group "fleet.kurator.dev"`)
	if out := kubectl(t, "", "auth", "can-i", "list", "fleets.fleet.kurator.dev", "--as="+user); strings.TrimSpace(out.stdout) != "no" {
		t.Errorf("kubectl auth can-i list fleets --as=%s: %s", user, out)
	}

	// kurator-apiserver itself, reached without the Karmada apiserver in front, asks the
	// Karmada apiserver whether the user may, and refuses too.
	direct := directFleetClient(t, user)
	if _, err := direct.FleetV1alpha1().Fleets().List(t.Context(), metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing fleets from kurator-apiserver directly as %s: %v, want Forbidden", user, err)
	}
	admin := directFleetClient(t, "e2e-admin", "system:masters")
	if _, err := admin.FleetV1alpha1().Fleets().List(t.Context(), metav1.ListOptions{Limit: 1}); err != nil {
		t.Fatalf("listing fleets from kurator-apiserver directly as an administrator: %v", err)
	}

	kubectlOK(t, manifest, "create", "-f", "-")
	grantFleetReader(t, user)
	eventually(t, time.Minute, user+" may read fleets once granted", func(ctx context.Context) (bool, string) {
		r := kubectl(t, "", "get", "fleet", name, "-o", "name", "--as="+user)
		if r.err != nil {
			return false, r.String()
		}
		if _, err := direct.FleetV1alpha1().Fleets().Get(ctx, name, metav1.GetOptions{}); err != nil {
			return false, "direct get: " + err.Error()
		}
		return true, ""
	})
	stderr = kubectlFails(t, "", "delete", "fleet", name, "--as="+user)
	requireContains(t, "delete as a reader", stderr, "Forbidden", `cannot delete resource "fleets"`)
	if err := direct.FleetV1alpha1().Fleets().Delete(t.Context(), name, metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("deleting a fleet from kurator-apiserver directly as a reader: %v, want Forbidden", err)
	}
}

// directFleetClient is a client of kurator-apiserver's own port that authenticates with a
// client certificate for user, issued by the environment's CA.
func directFleetClient(t *testing.T, user string, groups ...string) kuratorclientset.Interface {
	t.Helper()
	pki := env.layout.PKI()
	for _, f := range []string{"ca.crt", "ca.key"} {
		if _, err := os.Stat(filepath.Join(pki, f)); err != nil {
			t.Fatalf("the environment's CA is missing: %v", err)
		}
	}
	ca, err := localup.LoadOrCreateCA(pki, "ca", "unused")
	if err != nil {
		t.Fatalf("loading the environment's CA: %v", err)
	}
	der, key, err := ca.Issue(localup.Client(user, groups...))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &rest.Config{
		Host: "https://" + localup.Addr(env.ports.KuratorAPIServer),
		TLSClientConfig: rest.TLSClientConfig{
			CAFile:   ca.CertFile,
			CertData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			KeyData:  keyPEM,
		},
	}
	c, err := kuratorclientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// grantFleetReader lets user get, list and watch fleets until the test ends.
func grantFleetReader(t *testing.T, user string) {
	t.Helper()
	ctx := t.Context()
	rbac := env.karmada.Kube.RbacV1()
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: user + "-fleet-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{"fleet.kurator.dev"}, Resources: []string{"fleets"}, Verbs: []string{"get", "list", "watch"},
		}},
	}
	if _, err := rbac.ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ClusterRole %s: %v", role.Name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating ClusterRoleBinding %s: %v", binding.Name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = rbac.ClusterRoleBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
		_ = rbac.ClusterRoles().Delete(ctx, role.Name, metav1.DeleteOptions{})
	})
}

// unprocessable is the log line of `kubectl -v=6` for a request answered 422.
var unprocessable = regexp.MustCompile(`status="422 Unprocessable Entity"`)

// TestFleetInvalidIs422WithFieldPath submits invalid fleets and checks each answer names the
// field and what would be valid.
func TestFleetInvalidIs422WithFieldPath(t *testing.T) {
	member := memberNames()[0]
	cases := []struct {
		name string
		spec string
		want []string
	}{{
		name: "duplicate cluster names",
		spec: fmt.Sprintf("{clusters: [%s, %s]}", member, member),
		want: []string{fmt.Sprintf(`spec.clusters[1]: Duplicate value: %q`, member)},
	}, {
		name: "no members",
		spec: "{}",
		want: []string{"spec.clusters: Required value: a fleet needs members"},
	}, {
		name: "empty selector",
		spec: "{clusterSelector: {}}",
		want: []string{`spec.clusterSelector: Invalid value: "{}": must not be empty`},
	}, {
		name: "malformed thanosQueryURL",
		spec: fmt.Sprintf(`{clusters: [%s], telemetry: {thanosQueryURL: "http://%%zz"}}`, member),
		want: []string{`spec.telemetry.thanosQueryURL: Invalid value: "http://%zz": must be a URL`},
	}, {
		name: "thanosQueryURL not http",
		spec: fmt.Sprintf(`{clusters: [%s], telemetry: {thanosQueryURL: "ftp://thanos:9090/?x=1"}}`, member),
		want: []string{
			`spec.telemetry.thanosQueryURL: Invalid value: "ftp://thanos:9090/?x=1": must be an absolute URL with scheme http or https`,
			`spec.telemetry.thanosQueryURL: Invalid value: "ftp://thanos:9090/?x=1": must not have a query`,
		},
	}, {
		name: "unsupported preemption and bad gateway",
		spec: fmt.Sprintf(`{clusters: [%s], batch: {preemption: Always}, mesh: {networks: [{name: n1, clusters: [%s], gateways: [{address: "Not A Host", port: 70000}]}]}}`, member, member),
		want: []string{
			`spec.batch.preemption: Unsupported value: "Always": supported values: "Never", "LowerPriority"`,
			`spec.mesh.networks[0].gateways[0].address: Invalid value: "Not A Host"`,
			`spec.mesh.networks[0].gateways[0].port: Invalid value: 70000`,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName("invalid")
			deleteFleetOnCleanup(t, name)
			stderr := kubectlFails(t, fleetYAML(name, tc.spec), "create", "-f", "-", "-v=6")
			if !unprocessable.MatchString(stderr) {
				t.Errorf("the create was not answered 422:\n%s", stderr)
			}
			requireContains(t, "the error", stderr, append([]string{`The Fleet "` + name + `" is invalid`}, tc.want...)...)
			if _, err := fleetClient(t).FleetV1alpha1().Fleets().Get(t.Context(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("the invalid fleet was stored: get returned %v", err)
			}
		})
	}

	t.Run("invalid update", func(t *testing.T) {
		name := uniqueName("invalid")
		deleteFleetOnCleanup(t, name)
		kubectlOK(t, fleetYAML(name, fmt.Sprintf("{clusters: [%s]}", member)), "apply", "-f", "-")
		stderr := kubectlFails(t, fleetYAML(name, fmt.Sprintf("{clusters: [%s, %s]}", member, member)), "apply", "-f", "-", "-v=6")
		if !unprocessable.MatchString(stderr) {
			t.Errorf("the update was not answered 422:\n%s", stderr)
		}
		requireContains(t, "the error", stderr, fmt.Sprintf(`spec.clusters[1]: Duplicate value: %q`, member))
		if got := getFleetJSON(t, name).Spec.Clusters; !slices.Equal(got, []string{member}) {
			t.Errorf("spec.clusters = %v after the rejected update, want [%s]", got, member)
		}
	})

	// Unknown fields: kubectl's strict validation makes the server decode strictly. The
	// generic apiserver answers a strict decoding error 400 Bad Request, for every kind
	// (built-in, CRD or aggregated), naming the field.
	t.Run("unknown field with --validate=strict", func(t *testing.T) {
		name := uniqueName("invalid")
		deleteFleetOnCleanup(t, name)
		manifest := fleetYAML(name, fmt.Sprintf("{clusters: [%s], telemetry: {thanosQueryURL: %q, clusterLable: x}}", member, env.thanos))
		stderr := kubectlFails(t, manifest, "create", "-f", "-", "--validate=strict", "-v=6")
		requireContains(t, "the error", stderr, `status="400 Bad Request"`, `strict decoding error: unknown field "spec.telemetry.clusterLable"`)
		if _, err := fleetClient(t).FleetV1alpha1().Fleets().Get(t.Context(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the fleet with an unknown field was stored: get returned %v", err)
		}

		r := kubectl(t, manifest, "create", "-f", "-", "--validate=warn")
		if r.err != nil {
			t.Fatalf("create with --validate=warn: %s", r)
		}
		requireContains(t, "create with --validate=warn", r.stderr, `Warning: unknown field "spec.telemetry.clusterLable"`)
	})
}

// TestFleetMissingClusterIsReported creates a fleet naming a cluster that does not exist: it is
// valid, and its status says which member is missing.
func TestFleetMissingClusterIsReported(t *testing.T) {
	name := uniqueName("missing")
	deleteFleetOnCleanup(t, name)
	member := memberNames()[0]
	ghost := "e2e-ghost-" + rand.String(6)
	kubectlOK(t, fleetYAML(name, fmt.Sprintf("{clusters: [%s, %s]}", member, ghost)), "apply", "-f", "-")

	eventually(t, time.Minute, "fleet "+name+" reports "+ghost+" missing", func(ctx context.Context) (bool, string) {
		f, err := fleetClient(t).FleetV1alpha1().Fleets().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		s := f.Status
		cond := readyCondition(f)
		seen := fmt.Sprintf("status %+v", s)
		if !slices.Equal(s.MissingClusters, []string{ghost}) || s.MatchedClusters != 1 || s.ReadyClusters != 1 ||
			cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != "MembersMissing" || !strings.Contains(cond.Message, ghost) {
			return false, seen
		}
		return len(s.Members) == 1 && s.Members[0].Name == member, seen
	})
	_, row, err := tableRow(kubectlOK(t, "", "get", "fleet", name))
	if err != nil || row["READY"] != "1/1" || row["MISSING"] != "1" {
		t.Errorf("table row %v (%v), want READY 1/1 and MISSING 1", row, err)
	}
}

// restartLabel marks the fleets of one run of the restart test.
const restartLabel = "e2e-restart"

// fleetEvents records what an informer sees.
type fleetEvents struct {
	mu      sync.Mutex
	latest  map[string]*fleetv1alpha1.Fleet
	added   []string
	updated []string
	deleted []string
}

func (e *fleetEvents) handler() cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			f := obj.(*fleetv1alpha1.Fleet)
			e.mu.Lock()
			defer e.mu.Unlock()
			e.added = append(e.added, f.Name)
			e.latest[f.Name] = f
		},
		UpdateFunc: func(_, obj any) {
			f := obj.(*fleetv1alpha1.Fleet)
			e.mu.Lock()
			defer e.mu.Unlock()
			e.updated = append(e.updated, f.Name)
			e.latest[f.Name] = f
		},
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			f := obj.(*fleetv1alpha1.Fleet)
			e.mu.Lock()
			defer e.mu.Unlock()
			e.deleted = append(e.deleted, f.Name)
			delete(e.latest, f.Name)
		},
	}
}

// get returns the latest object seen of a fleet and whether it was seen added, updated and
// deleted.
func (e *fleetEvents) get(name string) (f *fleetv1alpha1.Fleet, added, updated, deleted bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.latest[name], slices.Contains(e.added, name), slices.Contains(e.updated, name), slices.Contains(e.deleted, name)
}

// processRecords returns the recorded processes of the environment by name.
func processRecords(t *testing.T) map[string]localup.ProcessRecord {
	t.Helper()
	sup, err := localup.NewSupervisor(env.layout.StateFile(), env.layout.Logs())
	if err != nil {
		t.Fatalf("reading the environment's state: %v", err)
	}
	out := map[string]localup.ProcessRecord{}
	for _, r := range sup.Records() {
		out[r.Name] = r
	}
	return out
}

// runKuratorUp runs kurator-up from the repository root and fails the test if it fails.
func runKuratorUp(t *testing.T, timeout time.Duration, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.upBinary, append([]string{"--output", env.layout.Output}, args...)...)
	cmd.Dir = filepath.Dir(env.layout.Output)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kurator-up %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("kurator-up %s:\n%s", strings.Join(args, " "), out)
}

// TestRestartKeepsFleetsAndWatches kills kurator-apiserver and etcd as a crash would and
// starts them again: no fleet is lost, an informer started before the crash sees changes
// made after it, and status is computed again.
func TestRestartKeepsFleetsAndWatches(t *testing.T) {
	client := fleetClient(t)
	fleets := client.FleetV1alpha1().Fleets()
	run := rand.String(6)
	members := memberNames()
	ghost := "e2e-ghost-" + run

	var created []*fleetv1alpha1.Fleet
	for i, spec := range []fleetv1alpha1.FleetSpec{
		{Clusters: members, Telemetry: &fleetv1alpha1.FleetTelemetry{ThanosQueryURL: env.thanos}},
		{Clusters: members[:1]},
		{Clusters: []string{members[0], ghost}, Batch: &fleetv1alpha1.FleetBatch{DefaultQueue: "default"}},
		{ClusterSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"e2e-no-such-label": run}}},
		{Clusters: members, Mesh: &fleetv1alpha1.FleetMesh{Networks: []fleetv1alpha1.MeshNetwork{{
			Name: "net-a", Clusters: members[:1], Gateways: []fleetv1alpha1.MeshGateway{{Address: "10.0.0.1"}},
		}}}},
	} {
		f := &fleetv1alpha1.Fleet{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("e2e-restart-%s-%d", run, i), Labels: map[string]string{restartLabel: run}},
			Spec:       spec,
		}
		deleteFleetOnCleanup(t, f.Name)
		got, err := fleets.Create(t.Context(), f, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("creating fleet %s: %v", f.Name, err)
		}
		created = append(created, got)
	}
	// wantReady is the Ready reason and ready member count each fleet reports once Karmada's
	// Clusters are known.
	wantReady := []struct {
		reason string
		ready  int32
	}{
		{"AllMembersReady", int32(len(members))}, {"AllMembersReady", 1}, {"MembersMissing", 1}, {"NoMembers", 0}, {"AllMembersReady", int32(len(members))},
	}
	checkStatus := func(f *fleetv1alpha1.Fleet, i int) error {
		cond := readyCondition(f)
		if cond == nil || cond.Reason != wantReady[i].reason || f.Status.ReadyClusters != wantReady[i].ready || cond.ObservedGeneration != f.Generation {
			return fmt.Errorf("fleet %s: ready %d, condition %+v; want %d ready and reason %s", f.Name, f.Status.ReadyClusters, cond, wantReady[i].ready, wantReady[i].reason)
		}
		return nil
	}

	events := &fleetEvents{latest: map[string]*fleetv1alpha1.Fleet{}}
	factory := kuratorinformers.NewSharedInformerFactoryWithOptions(client, 0, kuratorinformers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.LabelSelector = restartLabel + "=" + run
	}))
	informer := factory.Fleet().V1alpha1().Fleets().Informer()
	if _, err := informer.AddEventHandler(events.handler()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	factory.Start(stop)
	syncCtx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), informer.HasSynced) {
		t.Fatal("the fleet informer did not sync within a minute")
	}
	eventually(t, time.Minute, "the informer holds every fleet with its status", func(context.Context) (bool, string) {
		for i, c := range created {
			f, _, _, _ := events.get(c.Name)
			if f == nil {
				return false, "not seen: " + c.Name
			}
			if err := checkStatus(f, i); err != nil {
				return false, err.Error()
			}
		}
		return true, ""
	})

	// Crash and restart. Whatever happens, bring the environment back for the others.
	killed := []string{"kurator-apiserver", "etcd"}
	before := processRecords(t)
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			runKuratorUp(t, 15*time.Minute, "up", "--scenario", env.layout.ActiveScenario())
		}
	})
	start := time.Now()
	runKuratorUp(t, 2*time.Minute, append([]string{"stop", "--kill"}, killed...)...)
	for _, name := range killed {
		if localup.Alive(before[name]) {
			t.Fatalf("%s (pid %d) still runs after kurator-up stop --kill", name, before[name].PID)
		}
	}
	runKuratorUp(t, 15*time.Minute, "up", "--scenario", env.layout.ActiveScenario())
	restarted = true
	t.Logf("kill and restart of %v took %s", killed, time.Since(start).Round(time.Millisecond))
	after := processRecords(t)
	for _, name := range killed {
		if !localup.Alive(after[name]) || after[name].PID == before[name].PID {
			t.Fatalf("%s was not restarted: before %+v, after %+v", name, before[name], after[name])
		}
	}

	// Nothing lost, and status computed again.
	eventually(t, 2*time.Minute, "every fleet is back with its spec and a computed status", func(ctx context.Context) (bool, string) {
		for i, c := range created {
			f, err := fleets.Get(ctx, c.Name, metav1.GetOptions{})
			if err != nil {
				return false, fmt.Sprintf("getting %s: %v", c.Name, err)
			}
			if !apiequality.Semantic.DeepEqual(f.Spec, c.Spec) || f.UID != c.UID || f.Generation != c.Generation {
				return false, fmt.Sprintf("fleet %s changed: spec %+v uid %s generation %d, want %+v %s %d", c.Name, f.Spec, f.UID, f.Generation, c.Spec, c.UID, c.Generation)
			}
			if err := checkStatus(f, i); err != nil {
				return false, err.Error()
			}
		}
		list, err := fleets.List(ctx, metav1.ListOptions{LabelSelector: restartLabel + "=" + run})
		if err != nil || len(list.Items) != len(created) {
			return false, fmt.Sprintf("list: %d items, %v", len(list.Items), err)
		}
		return true, ""
	})

	// The informer started before the crash sees changes made after it.
	changed := created[0].DeepCopy()
	changed.Spec.Batch = &fleetv1alpha1.FleetBatch{DefaultQueue: "after-restart"}
	eventually(t, time.Minute, "updating "+changed.Name+" after the restart", func(ctx context.Context) (bool, string) {
		cur, err := fleets.Get(ctx, changed.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		cur.Spec.Batch = changed.Spec.Batch
		if _, err := fleets.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	if err := fleets.Delete(t.Context(), created[1].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting %s after the restart: %v", created[1].Name, err)
	}
	added := &fleetv1alpha1.Fleet{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("e2e-restart-%s-new", run), Labels: map[string]string{restartLabel: run}},
		Spec:       fleetv1alpha1.FleetSpec{Clusters: members},
	}
	deleteFleetOnCleanup(t, added.Name)
	if _, err := fleets.Create(t.Context(), added, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating %s after the restart: %v", added.Name, err)
	}
	eventually(t, 2*time.Minute, "the informer sees the update, the delete and the create made after the restart", func(context.Context) (bool, string) {
		var problems []string
		if f, _, _, _ := events.get(changed.Name); f == nil || f.Spec.Batch == nil || f.Spec.Batch.DefaultQueue != "after-restart" || f.Generation != 2 {
			problems = append(problems, fmt.Sprintf("%s: %+v", changed.Name, f))
		} else if err := checkStatus(f, 0); err != nil {
			problems = append(problems, err.Error())
		}
		if f, _, _, deleted := events.get(created[1].Name); f != nil || !deleted {
			problems = append(problems, fmt.Sprintf("%s not seen deleted", created[1].Name))
		}
		if f, wasAdded, _, _ := events.get(added.Name); f == nil || !wasAdded || f.Status.ReadyClusters != int32(len(members)) {
			problems = append(problems, fmt.Sprintf("%s: added %v, %+v", added.Name, wasAdded, f))
		}
		return len(problems) == 0, strings.Join(problems, "; ")
	})
}
