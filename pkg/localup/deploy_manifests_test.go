package localup

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"kurator.dev/kurator/pkg/batch/webhook"
	"kurator.dev/kurator/pkg/controllermanager"
	"kurator.dev/kurator/pkg/estimator"
	estimatorapp "kurator.dev/kurator/pkg/estimator/app"
)

// deployDir holds the production manifests of every component.
const deployDir = "../../artifacts/deploy"

// deployPlaceholders renders the envsubst variables the deploy guides document.
var deployPlaceholders = strings.NewReplacer(
	"${CA_BUNDLE}", base64.StdEncoding.EncodeToString([]byte("ca")),
	"${MEMBER}", "member1",
)

// deployObjects decodes every document of a deploy manifest, strictly: an unknown field or
// kind is an error.
func deployObjects(t *testing.T, path string) []runtime.Object {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apiregistrationv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	codec := serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, s, s, serializerjson.SerializerOptions{Strict: true})

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := DecodeManifests([]byte(deployPlaceholders.Replace(string(data))))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(docs) == 0 {
		t.Fatalf("%s has no documents", path)
	}
	var out []runtime.Object
	for i, d := range docs {
		raw, err := json.Marshal(d.Object)
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := codec.Decode(raw, nil, nil)
		if err != nil {
			t.Fatalf("%s, document %d (%s %s): %v", path, i+1, d.GetKind(), d.GetName(), err)
		}
		out = append(out, obj)
	}
	return out
}

// deployObject returns the only object of type T named name in a deploy manifest.
func deployObject[T runtime.Object](t *testing.T, path, name string) T {
	t.Helper()
	var found []T
	for _, o := range deployObjects(t, path) {
		typed, ok := o.(T)
		if !ok {
			continue
		}
		if m, err := meta.Accessor(o); err == nil && m.GetName() == name {
			found = append(found, typed)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%s: %d objects of type %T named %s, want 1", path, len(found), zero, name)
	}
	return found[0]
}

func TestDeployManifestsDecode(t *testing.T) {
	var files []string
	err := filepath.WalkDir(deployDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".yaml") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("deploy manifests under %s: %v, %v", deployDir, files, err)
	}
	for _, f := range files {
		rel, _ := filepath.Rel(deployDir, f)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) { deployObjects(t, f) })
	}
}

const controllerManagerDeploy = deployDir + "/kurator-controller-manager"

// TestDeployFleetQueueWebhook keeps the production webhook registration equal to the one
// kurator-up registers, apart from where the Karmada apiserver reaches the webhook.
func TestDeployFleetQueueWebhook(t *testing.T) {
	got := deployObject[*admissionregistrationv1.MutatingWebhookConfiguration](t, controllerManagerDeploy+"/karmada/webhook.yaml", FleetQueueWebhookName)
	want := (&Env{}).fleetQueueWebhook(nil)
	if len(got.Webhooks) != 1 {
		t.Fatalf("webhook.yaml has %d webhooks, want 1", len(got.Webhooks))
	}
	gw, ww := got.Webhooks[0], want.Webhooks[0]
	if len(gw.MatchConditions) != 1 || gw.MatchConditions[0].Expression != webhook.MatchCondition {
		t.Errorf("webhook.yaml matchConditions = %+v, want one with the expression %s", gw.MatchConditions, webhook.MatchCondition)
	}
	if diff := cmp.Diff(ww.Rules, gw.Rules); diff != "" {
		t.Errorf("webhook.yaml rules differ from kurator-up's (-kurator-up +webhook.yaml):\n%s", diff)
	}
	cc := gw.ClientConfig
	gw.ClientConfig, ww.ClientConfig = admissionregistrationv1.WebhookClientConfig{}, admissionregistrationv1.WebhookClientConfig{}
	if diff := cmp.Diff(ww, gw); diff != "" {
		t.Errorf("webhook.yaml differs from kurator-up's webhook (-kurator-up +webhook.yaml):\n%s", diff)
	}

	if cc.Service != nil || cc.URL == nil || len(cc.CABundle) == 0 {
		t.Fatalf("webhook.yaml clientConfig %+v: want a url and a caBundle", cc)
	}
	u, err := url.Parse(*cc.URL)
	if err != nil {
		t.Fatalf("webhook.yaml clientConfig.url: %v", err)
	}
	if u.Scheme != "https" || u.Path != webhook.Path {
		t.Errorf("webhook.yaml clientConfig.url %s: want https and the path %s", *cc.URL, webhook.Path)
	}
	// The URL names the host-cluster Service, whose port leads to the webhook's port.
	svc := deployObject[*corev1.Service](t, controllerManagerDeploy+"/host/kurator-controller-manager.yaml", "kurator-controller-manager")
	if want := svc.Name + "." + svc.Namespace + ".svc"; u.Hostname() != want {
		t.Errorf("webhook.yaml clientConfig.url host %s, want the Service's name %s", u.Hostname(), want)
	}
	if len(svc.Spec.Ports) != 1 || u.Port() != "443" || svc.Spec.Ports[0].Port != 443 {
		t.Fatalf("Service ports %+v and url port %s: want 443 on both", svc.Spec.Ports, u.Port())
	}
	c, flags := controllerManagerCommand(t)
	webhookPort, err := flags.GetInt("webhook-port")
	if err != nil {
		t.Fatal(err)
	}
	target := svc.Spec.Ports[0].TargetPort.String()
	for _, p := range c.Ports {
		if p.Name == target {
			if int(p.ContainerPort) != webhookPort {
				t.Errorf("the Service's target port %s is container port %d, but --webhook-port is %d", p.Name, p.ContainerPort, webhookPort)
			}
			return
		}
	}
	t.Errorf("the Service's target port %s is not a port of the container", target)
}

// TestDeployControllerManagerFlags checks the Deployment against the real command: every
// flag exists, every file it names is mounted, and every vc-scheduler configuration parses.
func TestDeployControllerManagerFlags(t *testing.T) {
	c, flags := controllerManagerCommand(t)
	if le, _ := flags.GetBool("leader-elect"); !le {
		t.Error("the Deployment runs without leader election")
	}
	mounts := map[string]string{} // mount path → volume
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	for _, f := range []string{"kubeconfig", "webhook-cert-dir"} {
		v, _ := flags.GetString(f)
		dir := v
		if f == "kubeconfig" {
			dir = filepath.Dir(v)
		}
		if _, ok := mounts[dir]; !ok {
			t.Errorf("--%s=%s is not in a mounted volume (%v)", f, v, mounts)
		}
	}

	deploy := deployObject[*appsv1.Deployment](t, controllerManagerDeploy+"/host/kurator-controller-manager.yaml", "kurator-controller-manager")
	configMaps := map[string]string{} // volume → ConfigMap
	for _, v := range deploy.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			configMaps[v.Name] = v.ConfigMap.Name
		}
	}
	confs, err := flags.GetStringToString("volcano-scheduler-conf")
	if err != nil || len(confs) == 0 {
		t.Fatalf("--volcano-scheduler-conf: %v, %v", confs, err)
	}
	for cluster, path := range confs {
		cmName, ok := configMaps[mounts[filepath.Dir(path)]]
		if !ok {
			t.Errorf("--volcano-scheduler-conf %s=%s is not in a mounted ConfigMap", cluster, path)
			continue
		}
		cm := deployObject[*corev1.ConfigMap](t, controllerManagerDeploy+"/host/kurator-controller-manager.yaml", cmName)
		data, ok := cm.Data[filepath.Base(path)]
		if !ok {
			t.Errorf("--volcano-scheduler-conf %s=%s: ConfigMap %s has no key %s", cluster, path, cmName, filepath.Base(path))
			continue
		}
		file := filepath.Join(t.TempDir(), filepath.Base(path))
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := estimatorapp.VolcanoConfigFromFile(file, estimator.DefaultConfig())
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			t.Errorf("ConfigMap %s key %s: %v", cmName, filepath.Base(path), err)
		}
	}
}

// controllerManagerCommand is the container of the production Deployment and its command
// line parsed with the real command's flags.
func controllerManagerCommand(t *testing.T) (corev1.Container, *pflag.FlagSet) {
	t.Helper()
	d := deployObject[*appsv1.Deployment](t, controllerManagerDeploy+"/host/kurator-controller-manager.yaml", "kurator-controller-manager")
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name != "kurator-controller-manager" {
			continue
		}
		if len(c.Command) < 2 || c.Command[0] != "/kurator-controller-manager" {
			t.Fatalf("the container's command %v does not run /kurator-controller-manager", c.Command)
		}
		flags := controllermanager.NewControllerManagerCommand(t.Context()).Flags()
		if err := flags.Parse(c.Command[1:]); err != nil {
			t.Fatalf("the Deployment's flags: %v", err)
		}
		return c, flags
	}
	t.Fatal("the Deployment has no container kurator-controller-manager")
	return corev1.Container{}, nil
}
