package localup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	batchv1alpha1 "kurator.dev/kurator/pkg/apis/batch/v1alpha1"
	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/batch/webhook"
)

// KuratorGroupVersions are the API group versions kurator-apiserver serves, each registered
// with its own APIService in the Karmada apiserver.
var KuratorGroupVersions = []struct{ Group, Version string }{
	{"fleet.kurator.dev", "v1alpha1"},
	{"telemetry.kurator.dev", "v1alpha1"},
	{"scheduling.kurator.dev", "v1alpha1"},
	{"batch.kurator.dev", "v1alpha1"},
}

func (e *Env) kuratorAPIServer() *Process {
	kc := e.Layout.KarmadaKubeconfig()
	serving := e.PKI.Serving["kurator-apiserver"]
	port := e.Ports.KuratorAPIServer
	return &Process{
		Name:   "kurator-apiserver",
		Binary: e.Layout.Tool("kurator-apiserver"),
		Args: []string{
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--etcd-servers=http://" + Addr(e.Ports.EtcdClient),
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--tls-cert-file=" + serving.CertFile,
			"--tls-private-key-file=" + serving.KeyFile,
			// Given explicitly, so it starts even while the Karmada apiserver is away.
			"--client-ca-file=" + e.PKI.CA.CertFile,
			"--requestheader-client-ca-file=" + e.PKI.FrontProxy.CertFile,
			"--requestheader-allowed-names=front-proxy-client",
			// PlacementReview evaluates with the same profile kurator-scheduler runs.
			"--scheduler-config=" + e.schedulerProfilePath(),
			"--multiple-pod-templates-scheduling=true",
			// Its estimates are those of the members' kurator-estimators, as Karmada's schedulers'.
			"--enable-scheduler-estimator=true",
		},
		Env:   []string{"GOMEMLIMIT=" + apiserverMemLimit},
		Ports: []int{port},
		Ready: httpProbe("https://"+Addr(port)+"/readyz", e.PKI.CA.CertFile),
	}
}

// startKurator starts kurator-apiserver and registers its API groups with Karmada.
func (e *Env) startKurator(ctx context.Context) error {
	if err := e.run(ctx, e.kuratorAPIServer()); err != nil {
		return err
	}
	c, caBundle, err := e.karmadaClients()
	if err != nil {
		return err
	}
	for _, gv := range KuratorGroupVersions {
		if err := RegisterAPIService(ctx, c, "kurator-apiserver", e.Ports.KuratorAPIServer, gv.Group, gv.Version, caBundle, 1000, 15); err != nil {
			return fmt.Errorf("registering %s/%s: %w", gv.Group, gv.Version, err)
		}
	}
	for _, gv := range KuratorGroupVersions {
		if err := WaitAPIServiceAvailable(ctx, c, gv.Version+"."+gv.Group, time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// kuratorControllerManager runs the fleet queue: its admission webhook, which suspends the
// scheduling of every new Volcano Job binding, and its dispatcher, which releases each job to
// the member whose Volcano will admit it. It reads every member's own vc-scheduler
// configuration, as each member's kurator-estimator does.
func (e *Env) kuratorControllerManager() *Process {
	serving := e.PKI.Serving["kurator-webhook"]
	var confs []string
	for _, m := range e.Scenario.Members {
		confs = append(confs, m.Name+"="+filepath.Join(e.Layout.Config(), m.Name+"-volcano-scheduler.yaml"))
	}
	return &Process{
		Name:   "kurator-controller-manager",
		Binary: e.Layout.Tool("kurator-controller-manager"),
		Args: []string{
			"--kubeconfig=" + e.Layout.KarmadaKubeconfig(),
			// One replica: a restarted process dispatches at once instead of waiting out a Lease.
			"--leader-elect=false",
			"--webhook-bind-address=127.0.0.1",
			"--webhook-port=" + strconv.Itoa(e.Ports.KuratorWebhook),
			"--webhook-cert-dir=" + filepath.Dir(serving.CertFile),
			"--webhook-cert-name=" + filepath.Base(serving.CertFile),
			"--webhook-key-name=" + filepath.Base(serving.KeyFile),
			"--health-probe-bind-address=" + Addr(e.Ports.KuratorControllerHealth),
			"--metrics-bind-address=" + Addr(e.Ports.KuratorControllerMetrics),
			"--volcano-scheduler-conf=" + strings.Join(confs, ","),
		},
		Ports: []int{e.Ports.KuratorWebhook, e.Ports.KuratorControllerHealth, e.Ports.KuratorControllerMetrics},
		Ready: httpProbe("http://"+Addr(e.Ports.KuratorControllerHealth)+"/readyz", ""),
	}
}

// FleetQueueWebhookName is the MutatingWebhookConfiguration kurator-up registers for the
// fleet queue.
const FleetQueueWebhookName = "kurator-fleet-queue"

// fleetQueueWebhook registers the fleet queue's webhook for ResourceBinding creations:
// failurePolicy Fail (a binding waits rather than bypass the queue) and a matchCondition
// that sends it only the bindings of Volcano Jobs.
func (e *Env) fleetQueueWebhook(caBundle []byte) *admissionregistrationv1.MutatingWebhookConfiguration {
	url := "https://" + Addr(e.Ports.KuratorWebhook) + webhook.Path
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: FleetQueueWebhookName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         "volcano-job-binding.batch.kurator.dev",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups:   []string{workv1alpha2.GroupVersion.Group},
					APIVersions: []string{workv1alpha2.GroupVersion.Version},
					Resources:   []string{"resourcebindings"},
					Scope:       ptr.To(admissionregistrationv1.NamespacedScope),
				},
			}},
			MatchConditions:         []admissionregistrationv1.MatchCondition{{Name: "volcano-jobs", Expression: webhook.MatchCondition}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          ptr.To[int32](10),
		}},
	}
}

// startFleetQueue starts kurator-controller-manager and registers its webhook.
func (e *Env) startFleetQueue(ctx context.Context) error {
	if err := e.run(ctx, e.kuratorControllerManager()); err != nil {
		return err
	}
	c, caBundle, err := e.karmadaClients()
	if err != nil {
		return err
	}
	if err := c.Apply(ctx, e.fleetQueueWebhook(caBundle)); err != nil {
		return fmt.Errorf("registering the fleet queue webhook: %w", err)
	}
	return nil
}

// EstimatorServicePort is the port Karmada's schedulers dial on every
// karmada-scheduler-estimator-<cluster> Service (their --scheduler-estimator-port default).
const EstimatorServicePort = 10352

// estimator runs kurator-estimator for one member: Karmada's scheduler-estimator protocol
// answered with Volcano's admission rules, configured from the member's own vc-scheduler
// configuration.
func (e *Env) estimator(m *Member) *Process {
	mp := e.Ports.Members[m.Name]
	return &Process{
		Name:   m.Name + "-estimator",
		Binary: e.Layout.Tool("kurator-estimator"),
		Args: []string{
			"--kubeconfig=" + e.Layout.MemberKubeconfig(m.Name),
			"--cluster-name=" + m.Name,
			"--bind-address=127.0.0.1",
			"--server-port=" + strconv.Itoa(mp.EstimatorGRPC),
			"--health-probe-bind-address=" + Addr(mp.EstimatorHealth),
			"--metrics-bind-address=" + Addr(mp.EstimatorMetrics),
			"--scheduler-conf=" + filepath.Join(e.Layout.Config(), m.Name+"-volcano-scheduler.yaml"),
			"--kube-api-qps=50",
			"--kube-api-burst=100",
		},
		Ports: []int{mp.EstimatorGRPC, mp.EstimatorHealth, mp.EstimatorMetrics},
		Ready: httpProbe("http://"+Addr(mp.EstimatorHealth)+"/readyz", ""),
	}
}

// registerEstimators creates the Services through which Karmada's schedulers find each
// member's estimator: karmada-scheduler-estimator-<member> in karmada-system, ExternalName
// localhost, service port EstimatorServicePort, target port the estimator's.
func (e *Env) registerEstimators(ctx context.Context) error {
	c, err := NewClients(e.Layout.KarmadaKubeconfig())
	if err != nil {
		return err
	}
	for _, m := range e.Scenario.Members {
		svc := &corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: "karmada-scheduler-estimator-" + m.Name, Namespace: KarmadaSystemNamespace},
			Spec: corev1.ServiceSpec{
				Type:         corev1.ServiceTypeExternalName,
				ExternalName: "localhost",
				Ports: []corev1.ServicePort{{
					Name: "grpc", Port: EstimatorServicePort, Protocol: corev1.ProtocolTCP,
					TargetPort: intstr.FromInt32(int32(e.Ports.Members[m.Name].EstimatorGRPC)),
				}},
			},
		}
		if err := c.Apply(ctx, svc); err != nil {
			return fmt.Errorf("registering the estimator of %s: %w", m.Name, err)
		}
	}
	return nil
}

// kuratorScheduler runs kurator-scheduler beside Karmada's stock scheduler: policies opt in
// with schedulerName kurator-scheduler.
func (e *Env) kuratorScheduler() *Process {
	return &Process{
		Name:   "kurator-scheduler",
		Binary: e.Layout.Tool("kurator-scheduler"),
		Args: []string{
			"--kubeconfig=" + e.Layout.KarmadaKubeconfig(),
			"--config=" + e.schedulerProfilePath(),
			"--leader-elect=false",
			"--metrics-bind-address=" + Addr(e.Ports.KuratorSchedulerMetrics),
			"--health-probe-bind-address=" + Addr(e.Ports.KuratorSchedulerHealth),
			"--feature-gates=" + KarmadaFeatureGates,
			"--enable-scheduler-estimator=true",
		},
		Ports: []int{e.Ports.KuratorSchedulerMetrics, e.Ports.KuratorSchedulerHealth},
		Ready: httpProbe("http://"+Addr(e.Ports.KuratorSchedulerHealth)+"/healthz", ""),
	}
}

// schedulerProfilePath is the effective scheduler profile: the chosen profile with its
// telemetry source pointed at this environment's Thanos Query.
func (e *Env) schedulerProfilePath() string {
	return filepath.Join(e.Layout.Config(), "scheduler-profile.yaml")
}

// writeSchedulerProfile writes the effective scheduler profile.
func (e *Env) writeSchedulerProfile(src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading the scheduler profile %s (set --scheduler-profile): %w", src, err)
	}
	profile := map[string]any{}
	if err := yaml.Unmarshal(data, &profile); err != nil {
		return fmt.Errorf("scheduler profile %s: %w", src, err)
	}
	// pluginConfig lives in each profile of a KubeSchedulerConfiguration.
	for _, prof := range asList(profile["profiles"]) {
		pm, _ := prof.(map[string]any)
		for _, pc := range asList(pm["pluginConfig"]) {
			pcm, _ := pc.(map[string]any)
			if args, ok := pcm["args"].(map[string]any); ok && pcm["name"] == "Telemetry" {
				args["url"] = e.ThanosQueryURL()
			}
		}
	}
	out, err := yaml.Marshal(profile)
	if err != nil {
		return fmt.Errorf("encoding the scheduler profile: %w", err)
	}
	return writeFileAtomic(e.schedulerProfilePath(), out)
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// fleet is the Fleet of the environment: every member, its telemetry in this environment's
// Thanos Query, the members' Istio networks, and the default fleet queue.
func (e *Env) fleet() *fleetv1alpha1.Fleet {
	networks := map[string][]string{}
	var order []string
	for _, m := range e.Scenario.Members {
		if m.Network == "" {
			continue
		}
		if _, ok := networks[m.Network]; !ok {
			order = append(order, m.Network)
		}
		networks[m.Network] = append(networks[m.Network], m.Name)
	}
	f := &fleetv1alpha1.Fleet{
		TypeMeta:   metav1.TypeMeta{APIVersion: fleetv1alpha1.SchemeGroupVersion.String(), Kind: "Fleet"},
		ObjectMeta: metav1.ObjectMeta{Name: e.Scenario.Name},
		Spec: fleetv1alpha1.FleetSpec{
			Clusters:  e.Scenario.MemberNames(),
			Telemetry: &fleetv1alpha1.FleetTelemetry{ThanosQueryURL: e.ThanosQueryURL()},
			Batch:     &fleetv1alpha1.FleetBatch{DefaultQueue: DefaultFleetQueue},
		},
	}
	if len(order) > 0 {
		f.Spec.Mesh = &fleetv1alpha1.FleetMesh{}
		for _, n := range order {
			f.Spec.Mesh.Networks = append(f.Spec.Mesh.Networks, fleetv1alpha1.MeshNetwork{Name: n, Clusters: networks[n]})
		}
	}
	return f
}

// DefaultFleetQueue is the fleet queue kurator-up creates and the Fleet names as default.
const DefaultFleetQueue = "default"

// applyFleet creates the environment's Fleet and default FleetQueue.
func (e *Env) applyFleet(ctx context.Context) error {
	c, err := NewClients(e.Layout.KarmadaKubeconfig())
	if err != nil {
		return err
	}
	if err := c.Apply(ctx, e.fleet()); err != nil {
		return err
	}
	return c.Apply(ctx, &batchv1alpha1.FleetQueue{
		TypeMeta:   metav1.TypeMeta{APIVersion: batchv1alpha1.SchemeGroupVersion.String(), Kind: "FleetQueue"},
		ObjectMeta: metav1.ObjectMeta{Name: DefaultFleetQueue},
	})
}
