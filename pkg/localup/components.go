package localup

import (
	"path/filepath"
	"strconv"
	"strings"
)

// apiserverMemLimit is the Go soft memory limit of each member's kube-apiserver and of
// kurator-apiserver: it makes the garbage collector work harder before the heap doubles,
// which keeps the apiservers affordable. Keep it well above their live heap (about 130 MiB
// for a member with the seed scenario): near the limit the collector runs several times a
// second and takes up to half a core per apiserver.
const apiserverMemLimit = "400MiB"

// karmadaAPIServerMemLimit is the Karmada apiserver's: it holds every resource template,
// binding and Work of the fleet (a live heap near 400 MiB with the throughput bench's 2,000
// templates and 2,000 bindings), so its limit is only a backstop.
const karmadaAPIServerMemLimit = "1GiB"

// KarmadaFeatureGates are the Karmada feature gates every Karmada component runs with.
const KarmadaFeatureGates = "MultiplePodTemplatesScheduling=true,PriorityBasedScheduling=true,Failover=true"

// Env is one local environment: its files, scenario, ports, PKI and processes.
type Env struct {
	Layout   Layout
	Scenario *Scenario
	Ports    Ports
	PKI      *PKI
	Sup      *Supervisor
	// Self is the kurator-up binary, run again as the synthetic exporter.
	Self string
}

func (e *Env) etcd() *Process {
	url := "http://" + Addr(e.Ports.EtcdClient)
	return &Process{
		Name:   "etcd",
		Binary: e.Layout.Tool("etcd"),
		Args: []string{
			"--name=kurator-up",
			"--data-dir=" + filepath.Join(e.Layout.Data(), "etcd"),
			"--listen-client-urls=" + url,
			"--advertise-client-urls=" + url,
			"--listen-peer-urls=http://" + Addr(e.Ports.EtcdPeer),
			"--initial-advertise-peer-urls=http://" + Addr(e.Ports.EtcdPeer),
			"--initial-cluster=kurator-up=http://" + Addr(e.Ports.EtcdPeer),
			"--quota-backend-bytes=4294967296",
			"--listen-metrics-urls=",
			"--log-level=warn",
		},
		Ports: []int{e.Ports.EtcdClient, e.Ports.EtcdPeer},
		Ready: httpProbe(url+"/health", ""),
	}
}

// kubeAPIServer is a kube-apiserver: the Karmada apiserver (cluster "karmada") or a member's.
func (e *Env) kubeAPIServer(cluster string, port int, etcdPrefix, kubeconfig, memLimit string, extra ...string) *Process {
	name := cluster + "-apiserver"
	serving := e.PKI.Serving[name]
	sa := e.PKI.ServiceAccount[cluster]
	args := []string{
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--etcd-servers=http://" + Addr(e.Ports.EtcdClient),
		"--etcd-prefix=" + etcdPrefix,
		"--allow-privileged=true",
		"--authorization-mode=RBAC",
		"--client-ca-file=" + e.PKI.CA.CertFile,
		"--tls-cert-file=" + serving.CertFile,
		"--tls-private-key-file=" + serving.KeyFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + sa.CertFile,
		"--service-account-signing-key-file=" + sa.KeyFile,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--proxy-client-cert-file=" + e.PKI.FrontProxyClient.CertFile,
		"--proxy-client-key-file=" + e.PKI.FrontProxyClient.KeyFile,
		"--requestheader-client-ca-file=" + e.PKI.FrontProxy.CertFile,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-username-headers=X-Remote-User",
		"--profiling=false",
		"--v=1",
	}
	return &Process{
		Name:   name,
		Binary: e.Layout.Tool("kube-apiserver"),
		Env:    []string{"GOMEMLIMIT=" + memLimit},
		Args:   append(args, extra...),
		Ports:  []int{port},
		Ready:  apiserverProbe(kubeconfig),
	}
}

func (e *Env) karmadaAPIServer() *Process {
	return e.kubeAPIServer("karmada", e.Ports.KarmadaAPIServer, "/registry", e.Layout.KarmadaKubeconfig(), karmadaAPIServerMemLimit,
		// As Karmada deploys it: no pods run here, so pod-centric admission is off.
		"--disable-admission-plugins=StorageObjectInUseProtection,ServiceAccount",
	)
}

func (e *Env) memberAPIServer(m *Member) *Process {
	return e.kubeAPIServer(m.Name, e.Ports.Members[m.Name].APIServer, "/members/"+m.Name, e.Layout.MemberKubeconfig(m.Name), apiserverMemLimit,
		"--token-auth-file="+filepath.Join(e.Layout.Config(), m.Name+"-tokens.csv"),
	)
}

func (e *Env) karmadaAggregatedAPIServer() *Process {
	kc := e.Layout.KarmadaKubeconfig()
	serving := e.PKI.Serving["karmada-aggregated-apiserver"]
	port := e.Ports.KarmadaAggregatedAPIServer
	return &Process{
		Name:   "karmada-aggregated-apiserver",
		Binary: e.Layout.Tool("karmada-aggregated-apiserver"),
		Args: []string{
			"--kubeconfig=" + kc,
			"--authentication-kubeconfig=" + kc,
			"--authorization-kubeconfig=" + kc,
			"--etcd-servers=http://" + Addr(e.Ports.EtcdClient),
			"--etcd-prefix=/karmada-aggregated",
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--tls-cert-file=" + serving.CertFile,
			"--tls-private-key-file=" + serving.KeyFile,
			"--feature-gates=" + KarmadaFeatureGates,
		},
		Ports: []int{port},
		Ready: httpProbe("https://"+Addr(port)+"/readyz", e.PKI.CA.CertFile),
	}
}

func (e *Env) karmadaWebhook() *Process {
	serving := e.PKI.Serving["karmada-webhook"]
	return &Process{
		Name:   "karmada-webhook",
		Binary: e.Layout.Tool("karmada-webhook"),
		Args: []string{
			"--kubeconfig=" + e.Layout.KarmadaKubeconfig(),
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(e.Ports.KarmadaWebhook),
			"--cert-dir=" + filepath.Dir(serving.CertFile),
			"--tls-cert-file-name=" + filepath.Base(serving.CertFile),
			"--tls-private-key-file-name=" + filepath.Base(serving.KeyFile),
			"--metrics-bind-address=0",
			"--health-probe-bind-address=" + Addr(e.Ports.KarmadaWebhookHealth),
			"--feature-gates=" + KarmadaFeatureGates,
		},
		Ports: []int{e.Ports.KarmadaWebhook, e.Ports.KarmadaWebhookHealth},
		Ready: tlsProbe(Addr(e.Ports.KarmadaWebhook), e.PKI.CA.CertFile),
	}
}

func (e *Env) karmadaControllerManager() *Process {
	return &Process{
		Name:   "karmada-controller-manager",
		Binary: e.Layout.Tool("karmada-controller-manager"),
		Args: []string{
			"--kubeconfig=" + e.Layout.KarmadaKubeconfig(),
			"--leader-elect=false",
			"--cluster-status-update-frequency=5s",
			"--metrics-bind-address=" + Addr(e.Ports.KarmadaControllerMetrics),
			"--health-probe-bind-address=" + Addr(e.Ports.KarmadaControllerHealth),
			"--feature-gates=" + KarmadaFeatureGates,
		},
		Ports: []int{e.Ports.KarmadaControllerMetrics, e.Ports.KarmadaControllerHealth},
		Ready: httpProbe("http://"+Addr(e.Ports.KarmadaControllerHealth)+"/healthz", ""),
	}
}

func (e *Env) karmadaKubeControllerManager() *Process {
	return e.kubeControllerManager("karmada-kube-controller-manager", "karmada", e.Layout.KarmadaKubeconfig(), e.Ports.KarmadaKubeControllerManager, karmadaControllers)
}

func (e *Env) karmadaScheduler() *Process {
	return &Process{
		Name:   "karmada-scheduler",
		Binary: e.Layout.Tool("karmada-scheduler"),
		Args: []string{
			"--kubeconfig=" + e.Layout.KarmadaKubeconfig(),
			"--leader-elect=false",
			"--metrics-bind-address=" + Addr(e.Ports.KarmadaSchedulerMetrics),
			"--health-probe-bind-address=" + Addr(e.Ports.KarmadaSchedulerHealth),
			"--feature-gates=" + KarmadaFeatureGates,
			// The stock scheduler asks every member's kurator-estimator too.
			"--enable-scheduler-estimator=true",
		},
		Ports: []int{e.Ports.KarmadaSchedulerMetrics, e.Ports.KarmadaSchedulerHealth},
		Ready: httpProbe("http://"+Addr(e.Ports.KarmadaSchedulerHealth)+"/healthz", ""),
	}
}

// karmadaControllers are the kube-controller-manager loops the Karmada apiserver needs, as
// Karmada deploys it: namespaces, garbage collection, tokens, role aggregation.
var karmadaControllers = []string{
	"namespace-controller", "garbage-collector-controller", "serviceaccount-token-controller",
	"ttl-after-finished-controller", "clusterrole-aggregation-controller",
}

// kubeControllerManager runs kube-controller-manager against one apiserver ("karmada" or a member).
func (e *Env) kubeControllerManager(name, cluster, kubeconfig string, port int, controllers []string) *Process {
	serving := e.PKI.Serving[name]
	return &Process{
		Name:   name,
		Binary: e.Layout.Tool("kube-controller-manager"),
		Args: []string{
			"--kubeconfig=" + kubeconfig,
			"--authentication-kubeconfig=" + kubeconfig,
			"--authorization-kubeconfig=" + kubeconfig,
			"--leader-elect=false",
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--tls-cert-file=" + serving.CertFile,
			"--tls-private-key-file=" + serving.KeyFile,
			"--service-account-private-key-file=" + e.PKI.ServiceAccount[cluster].KeyFile,
			"--root-ca-file=" + e.PKI.CA.CertFile,
			"--use-service-account-credentials=false",
			"--controllers=" + strings.Join(controllers, ","),
			"--concurrent-deployment-syncs=10",
			"--concurrent-replicaset-syncs=10",
			"--kube-api-qps=100",
			"--kube-api-burst=200",
			"--v=1",
		},
		Ports: []int{port},
		Ready: httpProbe("https://"+Addr(port)+"/healthz", e.PKI.CA.CertFile),
	}
}

// memberControllers are the kube-controller-manager loops a simulated member runs: workloads,
// namespaces and service accounts; node-lifecycle lifts the not-ready taint new nodes get once
// kwok reports them Ready. No cloud, IPAM or volume loops.
var memberControllers = []string{
	"deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
	"job-controller", "cronjob-controller", "ttl-after-finished-controller", "disruption-controller",
	"garbage-collector-controller", "namespace-controller", "resourcequota-controller",
	"serviceaccount-controller", "serviceaccount-token-controller", "root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller", "endpoints-controller", "endpointslice-controller",
	"pod-garbage-collector-controller", "node-lifecycle-controller",
}

// memberControlPlane returns the processes that turn a member's apiserver into a working
// cluster: controllers, scheduler, fake kubelets and Volcano.
func (e *Env) memberControlPlane(m *Member) []*Process {
	kc := e.Layout.MemberKubeconfig(m.Name)
	mp := e.Ports.Members[m.Name]
	ca := e.PKI.CA.CertFile
	ks := e.PKI.Serving[m.Name+"-scheduler"]
	delegated := []string{"--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc}
	return []*Process{
		e.kubeControllerManager(m.Name+"-controller-manager", m.Name, kc, mp.ControllerManager, memberControllers),
		{
			Name:   m.Name + "-scheduler",
			Binary: e.Layout.Tool("kube-scheduler"),
			Args: append([]string{
				"--kubeconfig=" + kc,
				"--leader-elect=false",
				"--bind-address=127.0.0.1",
				"--secure-port=" + strconv.Itoa(mp.Scheduler),
				"--tls-cert-file=" + ks.CertFile,
				"--tls-private-key-file=" + ks.KeyFile,
				"--kube-api-qps=100",
				"--kube-api-burst=200",
				"--v=1",
			}, delegated...),
			Ports: []int{mp.Scheduler},
			Ready: httpProbe("https://"+Addr(mp.Scheduler)+"/healthz", ca),
		},
		{
			Name:   m.Name + "-kwok",
			Binary: e.Layout.Tool("kwok"),
			Args: []string{
				"--kubeconfig=" + kc,
				"--manage-all-nodes=false",
				"--manage-nodes-with-annotation-selector=" + KwokNodeAnnotation + "=fake",
				"--config=" + filepath.Join(e.Layout.Config(), "kwok-stages.yaml"),
				"--server-address=" + Addr(mp.Kwok),
				"--node-ip=127.0.0.1",
				"--node-lease-duration-seconds=40",
			},
			Ports: []int{mp.Kwok},
			Ready: httpProbe("http://"+Addr(mp.Kwok)+"/healthz", ""),
		},
		{
			Name:   m.Name + "-vc-controller-manager",
			Binary: e.Layout.Tool("vc-controller-manager"),
			Args: []string{
				"--kubeconfig=" + kc,
				"--leader-elect=false",
				"--enable-healthz=true",
				"--healthz-address=" + Addr(mp.VolcanoControllerHz),
				"--enable-metrics=false",
				"--listen-address=" + Addr(mp.VolcanoController),
				"--kube-api-qps=100",
				"--kube-api-burst=200",
				"--logtostderr=true",
				"-v=2",
			},
			Ports: []int{mp.VolcanoControllerHz, mp.VolcanoController},
			Ready: httpProbe("http://"+Addr(mp.VolcanoControllerHz)+"/healthz", ""),
		},
		{
			Name:   m.Name + "-vc-scheduler",
			Binary: e.Layout.Tool("vc-scheduler"),
			Args: []string{
				"--kubeconfig=" + kc,
				"--leader-elect=false",
				"--scheduler-conf=" + filepath.Join(e.Layout.Config(), m.Name+"-volcano-scheduler.yaml"),
				"--schedule-period=1s",
				"--enable-healthz=true",
				"--healthz-address=" + Addr(mp.VolcanoSchedulerHz),
				"--enable-metrics=true",
				"--listen-address=" + Addr(mp.VolcanoScheduler),
				"--kube-api-qps=100",
				"--kube-api-burst=200",
				"--logtostderr=true",
				"-v=2",
			},
			Ports: []int{mp.VolcanoSchedulerHz, mp.VolcanoScheduler},
			Ready: httpProbe("http://"+Addr(mp.VolcanoSchedulerHz)+"/healthz", ""),
		},
	}
}

func (e *Env) exporter() *Process {
	return &Process{
		Name:   "exporter",
		Binary: e.Self,
		Args:   []string{"exporter", "--scenario=" + e.Layout.ActiveScenario(), "--listen=" + Addr(e.Ports.Exporter)},
		Ports:  []int{e.Ports.Exporter},
		Ready:  httpProbe("http://"+Addr(e.Ports.Exporter)+"/healthz", ""),
	}
}

func (e *Env) prometheus(m *Member) []*Process {
	mp := e.Ports.Members[m.Name]
	tsdb := filepath.Join(e.Layout.Data(), "prometheus-"+m.Name)
	return []*Process{
		{
			Name:   m.Name + "-prometheus",
			Binary: e.Layout.Tool("prometheus"),
			Args: []string{
				"--config.file=" + filepath.Join(e.Layout.Config(), m.Name+"-prometheus.yaml"),
				"--storage.tsdb.path=" + tsdb,
				// The sidecar needs Prometheus to leave block compaction alone.
				"--storage.tsdb.min-block-duration=2h",
				"--storage.tsdb.max-block-duration=2h",
				"--storage.tsdb.retention.time=6h",
				"--web.listen-address=" + Addr(mp.Prometheus),
				"--web.enable-lifecycle",
				"--log.level=warn",
			},
			Ports: []int{mp.Prometheus},
			Ready: httpProbe("http://"+Addr(mp.Prometheus)+"/-/ready", ""),
		},
		{
			Name:   m.Name + "-thanos-sidecar",
			Binary: e.Layout.Tool("thanos"),
			Args: []string{
				"sidecar",
				"--tsdb.path=" + tsdb,
				"--prometheus.url=http://" + Addr(mp.Prometheus),
				"--grpc-address=" + Addr(mp.SidecarGRPC),
				"--http-address=" + Addr(mp.SidecarHTTP),
				"--log.level=warn",
			},
			Ports: []int{mp.SidecarGRPC, mp.SidecarHTTP},
			Ready: httpProbe("http://"+Addr(mp.SidecarHTTP)+"/-/ready", ""),
		},
	}
}

func (e *Env) thanosQuery() *Process {
	args := []string{
		"query",
		"--http-address=" + Addr(e.Ports.ThanosQueryHTTP),
		"--grpc-address=" + Addr(e.Ports.ThanosQueryGRPC),
		"--query.replica-label=replica",
		"--endpoint.info-timeout=2s",
		"--log.level=warn",
	}
	for _, m := range e.Scenario.Members {
		args = append(args, "--endpoint="+Addr(e.Ports.Members[m.Name].SidecarGRPC))
	}
	return &Process{
		Name:   "thanos-query",
		Binary: e.Layout.Tool("thanos"),
		Args:   args,
		Ports:  []int{e.Ports.ThanosQueryHTTP, e.Ports.ThanosQueryGRPC},
		Ready:  httpProbe("http://"+Addr(e.Ports.ThanosQueryHTTP)+"/-/ready", ""),
	}
}

// ThanosQueryURL is the HTTP address of Thanos Query.
func (e *Env) ThanosQueryURL() string { return "http://" + Addr(e.Ports.ThanosQueryHTTP) }

// memberTokenFile is a member apiserver's static token file: Karmada's bearer token.
func memberTokenFile(token string) string {
	return strings.Join([]string{token, "karmada", "karmada", "system:masters"}, ",") + "\n"
}
