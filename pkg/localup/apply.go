package localup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	karmadaclientset "github.com/karmada-io/karmada/pkg/generated/clientset/versioned"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclientset "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	aggregatorclientset "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
	"sigs.k8s.io/yaml"
)

// FieldManager is the server-side apply field manager of kurator-up.
const FieldManager = "kurator-up"

// Clients are the API clients of one apiserver.
type Clients struct {
	Config        *rest.Config
	Kube          kubernetes.Interface
	Dynamic       dynamic.Interface
	APIExtensions apiextensionsclientset.Interface
	Karmada       karmadaclientset.Interface
	Aggregator    aggregatorclientset.Interface
	mapper        *restmapper.DeferredDiscoveryRESTMapper
}

// NewClients builds the clients of the apiserver a kubeconfig points at.
func NewClients(kubeconfig string) (*Clients, error) {
	cfg, err := RESTConfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	return NewClientsForConfig(cfg)
}

// NewClientsForConfig builds the clients of a REST config.
func NewClientsForConfig(cfg *rest.Config) (*Clients, error) {
	c := &Clients{Config: cfg}
	var err error
	if c.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.APIExtensions, err = apiextensionsclientset.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Karmada, err = karmadaclientset.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if c.Aggregator, err = aggregatorclientset.NewForConfig(cfg); err != nil {
		return nil, err
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Kube.Discovery()))
	return c, nil
}

// Apply server-side applies a typed or unstructured object (its apiVersion and kind set).
func (c *Clients) Apply(ctx context.Context, obj runtime.Object) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return fmt.Errorf("converting %T: %w", obj, err)
		}
		u = &unstructured.Unstructured{Object: m}
	}
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" {
		return fmt.Errorf("applying %T %s: apiVersion and kind must be set", obj, u.GetName())
	}
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	mapping, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		c.mapper.Reset()
		if mapping, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
			return fmt.Errorf("finding the resource of %s: %w", gvk, err)
		}
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encoding %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	var ri dynamic.ResourceInterface = c.Dynamic.Resource(mapping.Resource)
	if mapping.Scope.Name() == "namespace" {
		ns := u.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		ri = c.Dynamic.Resource(mapping.Resource).Namespace(ns)
	}
	force := true
	if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force}); err != nil {
		return fmt.Errorf("applying %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	return nil
}

// ApplyManifests applies every document of a multi-document YAML stream.
func (c *Clients) ApplyManifests(ctx context.Context, data []byte, source string) error {
	objs, err := DecodeManifests(data)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	for _, o := range objs {
		if err := c.Apply(ctx, o); err != nil {
			return fmt.Errorf("%s: %w", source, err)
		}
	}
	return nil
}

// DecodeManifests splits a YAML stream into objects, skipping empty documents.
func DecodeManifests(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading YAML: %w", err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		m := map[string]any{}
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("decoding YAML document: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// ApplyCRDDir applies every CRD manifest (*.yaml) of a directory and waits until all are established.
func (c *Clients) ApplyCRDDir(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CRD manifests in %s: run `make tools` to stage them", dir)
	}
	sort.Strings(files)
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
		objs, err := DecodeManifests(data)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		for _, o := range objs {
			if err := c.Apply(ctx, o); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			if o.GetKind() == "CustomResourceDefinition" {
				names = append(names, o.GetName())
			}
		}
	}
	return c.WaitCRDsEstablished(ctx, names)
}

// WaitCRDsEstablished waits until the named CRDs are established.
func (c *Clients) WaitCRDsEstablished(ctx context.Context, names []string) error {
	for _, name := range names {
		var last string
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			crd, err := c.APIExtensions.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				last = err.Error()
				return false, nil
			}
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
				if cond.Type == apiextensionsv1.NamesAccepted && cond.Status == apiextensionsv1.ConditionFalse {
					last = cond.Message
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CRD %s not established: %s: %w", name, strings.TrimSpace(last), err)
		}
	}
	c.mapper.Reset()
	return nil
}
