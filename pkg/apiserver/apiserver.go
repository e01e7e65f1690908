package apiserver

import (
	"fmt"

	genericapiserver "k8s.io/apiserver/pkg/server"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/klog/v2"

	fleetv1alpha1 "kurator.dev/kurator/pkg/apis/fleet/v1alpha1"
	"kurator.dev/kurator/pkg/registry"
	fleetstorage "kurator.dev/kurator/pkg/registry/fleet/fleet"
	fleetrest "kurator.dev/kurator/pkg/registry/fleet/rest"
)

// ComponentName is the name of the server in logs, metrics and the OpenAPI document.
const ComponentName = "kurator-apiserver"

// DefaultAPIResourceConfigSource is the set of API versions and resources served unless
// --runtime-config says otherwise.
func DefaultAPIResourceConfigSource() *serverstorage.ResourceConfig {
	cfg := serverstorage.NewResourceConfig()
	cfg.EnableVersions(
		fleetv1alpha1.SchemeGroupVersion,
	)
	return cfg
}

// ExtraConfig is the configuration of kurator-apiserver beyond the generic apiserver's.
type ExtraConfig struct {
	// Clusters lists the Karmada Clusters that fleet status is computed from.
	Clusters fleetstorage.ClusterLister
	// ClusterInformerStarter starts the informers behind Clusters, if any, when the server
	// starts; it must not block until they sync (the Karmada apiserver may be unreachable).
	ClusterInformerStarter func(stopCh <-chan struct{})
}

// Config is the configuration of kurator-apiserver.
type Config struct {
	GenericConfig *genericapiserver.RecommendedConfig
	ExtraConfig   ExtraConfig
}

type completedConfig struct {
	GenericConfig genericapiserver.CompletedConfig
	ExtraConfig   *ExtraConfig
}

// CompletedConfig is a Config on which Complete has run; New builds a server from it.
type CompletedConfig struct {
	// Embed a private pointer that cannot be instantiated outside of this package.
	*completedConfig
}

// Complete fills in the fields not set that can be derived from others.
func (c *Config) Complete() CompletedConfig {
	if c.GenericConfig.MergedResourceConfig == nil {
		c.GenericConfig.MergedResourceConfig = DefaultAPIResourceConfigSource()
	}
	return CompletedConfig{&completedConfig{
		GenericConfig: c.GenericConfig.Complete(),
		ExtraConfig:   &c.ExtraConfig,
	}}
}

// Server is a running kurator-apiserver.
type Server struct {
	GenericAPIServer *genericapiserver.GenericAPIServer
}

// New returns a server with every enabled API group installed.
func (c CompletedConfig) New() (*Server, error) {
	if c.ExtraConfig.Clusters == nil {
		return nil, fmt.Errorf("kurator-apiserver needs a source of Karmada Clusters to compute fleet status")
	}
	genericServer, err := c.GenericConfig.New(ComponentName, genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, fmt.Errorf("creating the generic apiserver: %w", err)
	}
	s := &Server{GenericAPIServer: genericServer}

	providers := []registry.RESTStorageProvider{
		fleetrest.StorageProvider{Clusters: c.ExtraConfig.Clusters},
	}
	for _, p := range providers {
		groupInfo, enabled, err := p.NewRESTStorage(c.GenericConfig.MergedResourceConfig, c.GenericConfig.RESTOptionsGetter)
		if err != nil {
			return nil, fmt.Errorf("creating the storage of API group %s: %w", p.GroupName(), err)
		}
		if !enabled {
			klog.InfoS("API group is disabled", "group", p.GroupName())
			continue
		}
		if err := genericServer.InstallAPIGroup(&groupInfo); err != nil {
			return nil, fmt.Errorf("installing API group %s: %w", p.GroupName(), err)
		}
	}

	if start := c.ExtraConfig.ClusterInformerStarter; start != nil {
		err := genericServer.AddPostStartHook("start-karmada-cluster-informer", func(ctx genericapiserver.PostStartHookContext) error {
			start(ctx.Done())
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("adding the post-start hook of the Cluster informer: %w", err)
		}
	}
	return s, nil
}
