package workload

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
)

// karmadaConfig returns the client configuration of kurator-up's Karmada apiserver, skipping
// the test when it is not running (failing instead when KURATOR_REQUIRE_ENV is set).
func karmadaConfig(t *testing.T) *rest.Config {
	t.Helper()
	path := os.Getenv("KURATOR_KARMADA_KUBECONFIG")
	if path == "" {
		path = filepath.Join("..", "..", "..", "_output", "karmada.config")
	}
	unavailable := func(why string) {
		if os.Getenv("KURATOR_REQUIRE_ENV") != "" {
			t.Fatalf("KURATOR_REQUIRE_ENV is set but the Karmada apiserver is unavailable: %s (start it with kurator-up up)", why)
		}
		t.Skipf("the Karmada apiserver of kurator-up is unavailable (%s); set KURATOR_REQUIRE_ENV=1 to make this a failure", why)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		unavailable(err.Error())
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err != nil {
		unavailable(err.Error())
	}
	_ = conn.Close()
	return cfg
}

// TestMetadataCacheIntegration reads a Deployment's annotations from the Karmada apiserver:
// the first read is an API call, later reads come from the informer, and changes arrive.
func TestMetadataCacheIntegration(t *testing.T) {
	cfg := karmadaConfig(t)
	kube := kubernetes.NewForConfigOrDie(cfg)
	ns := fmt.Sprintf("kurator-it-templates-%d", time.Now().UnixNano()%1_000_000)
	ctx := t.Context()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	labels := map[string]string{"app": "ai"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "ai", Namespace: ns, Annotations: map[string]string{AnnotationPeers: "core.default"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
			},
		},
	}
	if _, err := kube.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	cache, err := NewMetadataCache(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref := &workv1alpha2.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: "ai"}
	meta, err := cache.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Annotations[AnnotationPeers] != "core.default" {
		t.Errorf("annotations = %v", meta.Annotations)
	}

	// Once the informer has synced, reads make no API call and see changes.
	d.Annotations[AnnotationPeers] = "core.default,model-server.default"
	if _, err := kube.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for {
		before := cache.DirectGets()
		meta, err := cache.Get(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		last = meta.Annotations[AnnotationPeers]
		if cache.DirectGets() == before && last == "core.default,model-server.default" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: direct gets %d, last annotation %q", cache.DirectGets(), last)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A kind the apiserver does not know is an error, not a panic.
	if _, err := cache.Get(ctx, &workv1alpha2.ObjectReference{APIVersion: "example.com/v1", Kind: "Nothing", Name: "x"}); err == nil {
		t.Error("unknown kind: no error")
	}
}
