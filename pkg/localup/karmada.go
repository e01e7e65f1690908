package localup

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Namespaces and labels of the Karmada control plane.
const (
	KarmadaSystemNamespace  = "karmada-system"
	KarmadaClusterNamespace = "karmada-cluster"
	// IstioNetworkLabel is Istio's network label, put on Clusters whose member has a network.
	IstioNetworkLabel = "topology.istio.io/network"
)

// prepareKarmada installs Karmada's CRDs, the Volcano Job CRD (so Jobs can be submitted to
// Karmada) and the namespaces Karmada's components expect.
func (e *Env) prepareKarmada(ctx context.Context) error {
	c, err := NewClients(e.Layout.KarmadaKubeconfig())
	if err != nil {
		return err
	}
	if err := c.ApplyCRDDir(ctx, filepath.Join(e.Layout.Assets(), "karmada-crds")); err != nil {
		return fmt.Errorf("installing Karmada CRDs: %w", err)
	}
	if err := c.ApplyCRDDir(ctx, filepath.Join(e.Layout.Assets(), "volcano-job-crd")); err != nil {
		return fmt.Errorf("installing the Volcano Job CRD in Karmada: %w", err)
	}
	for _, ns := range []string{KarmadaSystemNamespace, KarmadaClusterNamespace} {
		if err := c.Apply(ctx, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns},
		}); err != nil {
			return err
		}
	}
	return nil
}

// RegisterAPIService registers an aggregated apiserver on a loopback port the way Karmada
// does: an ExternalName Service in karmada-system plus an APIService verified with caBundle.
func RegisterAPIService(ctx context.Context, c *Clients, service string, port int, group, version string, caBundle []byte, groupPriority, versionPriority int32) error {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: service, Namespace: KarmadaSystemNamespace},
		Spec: corev1.ServiceSpec{
			Type:         corev1.ServiceTypeExternalName,
			ExternalName: "localhost",
			Ports:        []corev1.ServicePort{{Name: "https", Port: int32(port), TargetPort: intstr.FromInt32(int32(port)), Protocol: corev1.ProtocolTCP}},
		},
	}
	if err := c.Apply(ctx, svc); err != nil {
		return err
	}
	p := int32(port)
	apiService := &apiregistrationv1.APIService{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiregistrationv1.SchemeGroupVersion.String(), Kind: "APIService"},
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistrationv1.APIServiceSpec{
			Service:              &apiregistrationv1.ServiceReference{Namespace: KarmadaSystemNamespace, Name: service, Port: &p},
			Group:                group,
			Version:              version,
			CABundle:             caBundle,
			GroupPriorityMinimum: groupPriority,
			VersionPriority:      versionPriority,
		},
	}
	return c.Apply(ctx, apiService)
}

// WaitAPIServiceAvailable waits until the aggregator reports an APIService Available.
func WaitAPIServiceAvailable(ctx context.Context, c *Clients, name string, timeout time.Duration) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		svc, err := c.Aggregator.ApiregistrationV1().APIServices().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		for _, cond := range svc.Status.Conditions {
			if cond.Type == apiregistrationv1.Available {
				last = cond.Reason + ": " + cond.Message
				return cond.Status == apiregistrationv1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("APIService %s is not available: %s", name, last)
	}
	return nil
}

// karmadaClients returns clients of the Karmada apiserver and the CA bundle that
// registrations with it (APIServices, webhooks) carry.
func (e *Env) karmadaClients() (*Clients, []byte, error) {
	c, err := NewClients(e.Layout.KarmadaKubeconfig())
	if err != nil {
		return nil, nil, err
	}
	caBundle, err := e.PKI.CA.CertPEM()
	if err != nil {
		return nil, nil, err
	}
	return c, caBundle, nil
}

// registerKarmada registers Karmada's aggregated apiserver and webhooks with the Karmada apiserver.
func (e *Env) registerKarmada(ctx context.Context) error {
	c, caBundle, err := e.karmadaClients()
	if err != nil {
		return err
	}
	if err := RegisterAPIService(ctx, c, "karmada-aggregated-apiserver", e.Ports.KarmadaAggregatedAPIServer,
		clusterv1alpha1.GroupName, "v1alpha1", caBundle, 2000, 10); err != nil {
		return err
	}
	// Karmada's own webhook configuration of the pinned release, pointed at the loopback webhook.
	tmplPath := filepath.Join(e.Layout.Assets(), "karmada-webhook-configuration.yaml")
	tmpl, err := os.ReadFile(tmplPath)
	if err != nil {
		return fmt.Errorf("reading %s (run `make tools` to stage it): %w", tmplPath, err)
	}
	data := bytes.ReplaceAll(tmpl, []byte("https://karmada-webhook.karmada-system.svc:443/"), []byte("https://"+Addr(e.Ports.KarmadaWebhook)+"/"))
	data = bytes.ReplaceAll(data, []byte("{{caBundle}}"), []byte(base64.StdEncoding.EncodeToString(caBundle)))
	if err := c.ApplyManifests(ctx, data, tmplPath); err != nil {
		return fmt.Errorf("registering Karmada's webhooks: %w", err)
	}
	return WaitAPIServiceAvailable(ctx, c, "v1alpha1."+clusterv1alpha1.GroupName, 90*time.Second)
}

// Cluster returns the Karmada Cluster object of a member (Push mode).
func (e *Env) Cluster(m *Member) *clusterv1alpha1.Cluster {
	labels := map[string]string{}
	for k, v := range m.Labels {
		labels[k] = v
	}
	if m.Network != "" {
		labels[IstioNetworkLabel] = m.Network
	}
	cl := &clusterv1alpha1.Cluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: clusterv1alpha1.GroupVersion.String(), Kind: "Cluster"},
		ObjectMeta: metav1.ObjectMeta{Name: m.Name, Labels: labels},
		Spec: clusterv1alpha1.ClusterSpec{
			SyncMode:    clusterv1alpha1.Push,
			APIEndpoint: "https://" + Addr(e.Ports.Members[m.Name].APIServer),
			SecretRef:   &clusterv1alpha1.LocalSecretReference{Namespace: KarmadaClusterNamespace, Name: m.Name},
			Provider:    m.Provider,
			Region:      m.Region,
		},
	}
	if m.Zone != "" {
		cl.Spec.Zones = []string{m.Zone}
	}
	return cl
}

// joinMembers registers every member with Karmada in Push mode: a Secret with the member's
// token and CA, and a Cluster pointing at its apiserver.
func (e *Env) joinMembers(ctx context.Context) error {
	c, caBundle, err := e.karmadaClients()
	if err != nil {
		return err
	}
	for i := range e.Scenario.Members {
		m := &e.Scenario.Members[i]
		secret := &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: m.Name, Namespace: KarmadaClusterNamespace},
			Data:       map[string][]byte{"token": []byte(e.PKI.MemberTokens[m.Name]), "caBundle": caBundle},
		}
		if err := c.Apply(ctx, secret); err != nil {
			return fmt.Errorf("joining %s: %w", m.Name, err)
		}
		if err := c.Apply(ctx, e.Cluster(m)); err != nil {
			return fmt.Errorf("joining %s: %w", m.Name, err)
		}
	}
	return nil
}

// WaitClustersReady waits until every named Cluster is Ready and reports a resource summary.
func WaitClustersReady(ctx context.Context, c *Clients, names []string, timeout time.Duration) error {
	notReady := map[string]string{}
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		for _, name := range names {
			cl, err := c.Karmada.ClusterV1alpha1().Clusters().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				notReady[name] = err.Error()
				continue
			}
			cond := meta.FindStatusCondition(cl.Status.Conditions, clusterv1alpha1.ClusterConditionReady)
			switch {
			case cond == nil:
				notReady[name] = "no Ready condition yet"
			case cond.Status != metav1.ConditionTrue:
				notReady[name] = cond.Reason + ": " + cond.Message
			case cl.Status.ResourceSummary == nil || len(cl.Status.ResourceSummary.Allocatable) == 0:
				notReady[name] = "no resource summary yet"
			default:
				delete(notReady, name)
			}
		}
		return len(notReady) == 0, nil
	})
	if err != nil {
		var parts []string
		for _, n := range names {
			if why, ok := notReady[n]; ok {
				parts = append(parts, n+": "+why)
			}
		}
		return fmt.Errorf("clusters not Ready after %s: %s", timeout, strings.Join(parts, "; "))
	}
	return nil
}
