// Package app is the command line of kurator-estimator, a Volcano-aware replica estimator
// that speaks Karmada's scheduler-estimator gRPC protocol for one member cluster.
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	estimatorservice "github.com/karmada-io/karmada/pkg/estimator/service"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	volcanoclient "volcano.sh/apis/pkg/client/clientset/versioned"

	"kurator.dev/kurator/pkg/component"
	"kurator.dev/kurator/pkg/estimator"
	"kurator.dev/kurator/pkg/estimator/feed"
	"kurator.dev/kurator/pkg/estimator/server"
)

// NewEstimatorCommand returns the kurator-estimator command, which runs until ctx is done.
func NewEstimatorCommand(ctx context.Context) *cobra.Command {
	o := NewOptions()
	logs := logsapi.NewLoggingConfiguration()
	cmd := &cobra.Command{
		Use:   "kurator-estimator",
		Short: "Estimate what a member cluster's Volcano admits, for Karmada's scheduler",
		Long: `kurator-estimator answers Karmada's scheduler-estimator RPCs (MaxAvailableReplicas,
MaxAvailableComponentSets, GetUnschedulableReplicas) for one member cluster. Beyond node fit
it applies what the member's Volcano decides before a job may run: the queue's real
capability, the proportion or capacity plugin, the overcommit plugin, PodGroup minResources
and gang semantics, and, when the member enables preempt or reclaim, the capacity held by
lower-priority preemptable pods. It answers from informer caches, never with an error:
-1 means "no opinion" to Karmada.

Run one per member and register it as Karmada registers its own estimator: a Service
karmada-scheduler-estimator-<cluster> in karmada-system of the Karmada apiserver (type
ExternalName, port 10352 targeting --server-port), then start karmada-scheduler with
--enable-scheduler-estimator.`,
	}
	cmd = component.Command(ctx, cmd, o, logs, func(fss *cliflag.NamedFlagSets) { o.AddFlags(fss.FlagSet("estimator")) })
	o.changed = cmd.Flags().Changed
	return cmd
}

// restConfig builds the member client configuration.
func (o *Options) restConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags(o.Master, o.KubeConfig)
	if err != nil {
		return nil, fmt.Errorf("loading the member kubeconfig %q: %w", o.KubeConfig, err)
	}
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	cfg.UserAgent = "kurator-estimator/" + o.ClusterName
	return cfg, nil
}

// Run serves until ctx is done.
func (o *Options) Run(ctx context.Context) error {
	cfg, err := o.restConfig()
	if err != nil {
		return err
	}
	clients, err := newClients(cfg)
	if err != nil {
		return err
	}
	volcano, err := o.volcanoEnabled(clients)
	if err != nil {
		return err
	}
	ecfg := o.EstimatorConfig()
	klog.InfoS("Starting kurator-estimator", "cluster", o.ClusterName, "queuePlugin", ecfg.QueuePlugin, "volcano", volcano,
		"preempt", ecfg.Preempt, "reclaim", ecfg.Reclaim, "overcommitFactor", ecfg.OvercommitFactor, "defaultQueue", ecfg.DefaultQueue,
		"namespaceQueues", ecfg.NamespaceQueues)

	srv := server.NewServer(o.ClusterName, estimator.NewStore(ecfg), server.NewMetrics(), o.SnapshotInterval)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 4)

	// The gRPC server starts at once: until the caches sync it answers -1 ("no opinion").
	gs, err := o.grpcServer()
	if err != nil {
		return fmt.Errorf("creating the gRPC server (check --grpc-auth-cert-file, --grpc-auth-key-file, --grpc-client-ca-file): %w", err)
	}
	estimatorservice.RegisterEstimatorServer(gs, srv)
	// gRPC health (for gRPC probes): NOT_SERVING until the member's caches synced.
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	addr := net.JoinHostPort(o.BindAddress, strconv.Itoa(o.ServerPort))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for gRPC on %s (--bind-address, --server-port): %w", addr, err)
	}
	go func() { errs <- serveGRPC(gs, l) }()
	go func() { <-ctx.Done(); gs.GracefulStop() }()
	klog.InfoS("Serving gRPC", "address", l.Addr().String(), "tls", o.GrpcAuthCertFile != "")

	if err := serveHTTP(ctx, o.HealthProbeBindAddress, healthMux(srv), errs); err != nil {
		return fmt.Errorf("serving health probes (--health-probe-bind-address): %w", err)
	}
	metricsMux := http.NewServeMux()
	metricsMux.Handle("/metrics", promhttp.HandlerFor(srv.Metrics().Registry, promhttp.HandlerOpts{}))
	if err := serveHTTP(ctx, o.MetricsBindAddress, metricsMux, errs); err != nil {
		return fmt.Errorf("serving metrics (--metrics-bind-address): %w", err)
	}

	go srv.Run(ctx)
	go func() {
		if err := server.Watch(ctx, clients, srv, volcano); err != nil && ctx.Err() == nil {
			errs <- err
			return
		}
		hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	}()
	select {
	case <-ctx.Done():
		return nil
	case err := <-errs:
		return err
	}
}

// grpcServer is a gRPC server with kurator's estimator codec and, when certificates are
// given, TLS as Karmada's estimator sets it up (TLS 1.3; client certificates verified
// against --grpc-client-ca-file unless --insecure-skip-grpc-client-verify).
func (o *Options) grpcServer() (*grpc.Server, error) {
	opts := []grpc.ServerOption{grpc.ForceServerCodecV2(server.Codec{})}
	if o.GrpcAuthCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.GrpcAuthCertFile, o.GrpcAuthKeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the gRPC certificate: %w", err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
		if o.GrpcClientCaFile != "" {
			ca, err := os.ReadFile(o.GrpcClientCaFile)
			if err != nil {
				return nil, fmt.Errorf("reading the gRPC client CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("no certificate found in %s", o.GrpcClientCaFile)
			}
			cfg.ClientCAs = pool
			if !o.InsecureSkipGrpcClientVerify {
				cfg.ClientAuth = tls.RequireAndVerifyClientCert
			}
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	return grpc.NewServer(opts...), nil
}

func newClients(cfg *rest.Config) (server.Clients, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return server.Clients{}, fmt.Errorf("creating the member client: %w", err)
	}
	vc, err := volcanoclient.NewForConfig(cfg)
	if err != nil {
		return server.Clients{}, fmt.Errorf("creating the member Volcano client: %w", err)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return server.Clients{}, fmt.Errorf("creating the member metadata client: %w", err)
	}
	return server.Clients{Kube: kube, Volcano: vc, Metadata: md, Discovery: kube.Discovery()}, nil
}

// volcanoEnabled decides whether queues are modelled, retrying discovery until the member
// answers.
func (o *Options) volcanoEnabled(c server.Clients) (bool, error) {
	if o.EstimatorConfig().QueuePlugin == estimator.QueuePluginNone {
		return false, nil
	}
	if o.Volcano == volcanoOn {
		return true, nil
	}
	served, err := feed.VolcanoServed(c.Discovery)
	if err != nil {
		klog.ErrorS(err, "Discovering Volcano in the member failed; assuming it is installed", "cluster", o.ClusterName)
		return true, nil
	}
	if !served {
		klog.InfoS("The member does not serve scheduling.volcano.sh/v1beta1 Queues and PodGroups: estimating node fit only", "cluster", o.ClusterName)
	}
	return served, nil
}

func serveGRPC(gs *grpc.Server, l net.Listener) error {
	if err := gs.Serve(l); err != nil {
		return fmt.Errorf("serving gRPC: %w", err)
	}
	return nil
}

// healthMux serves /healthz (the process serves) and /readyz (every cache synced).
func healthMux(srv *server.Server) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if snap := srv.Snapshot(); snap == nil || !snap.Synced() {
			http.Error(w, "member caches not synced", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	return mux
}

// serveHTTP serves mux on addr ("" or "0": disabled) until ctx is done.
func serveHTTP(ctx context.Context, addr string, mux http.Handler, errs chan<- error) error {
	if addr == "" || addr == "0" {
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("serving %s: %w", addr, err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return nil
}
