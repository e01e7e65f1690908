package placementreview

import (
	"fmt"

	configv1alpha1 "github.com/karmada-io/karmada/pkg/apis/config/v1alpha1"
	policyv1alpha1 "github.com/karmada-io/karmada/pkg/apis/policy/v1alpha1"
	workv1alpha2 "github.com/karmada-io/karmada/pkg/apis/work/v1alpha2"
	"github.com/karmada-io/karmada/pkg/resourceinterpreter/default/native"
	"github.com/karmada-io/karmada/pkg/resourceinterpreter/default/thirdparty"
	"github.com/karmada-io/karmada/pkg/util/names"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// DefaultSchedulerName is the scheduler of a PropagationPolicy that names none.
const DefaultSchedulerName = "default-scheduler"

// Interpreter reads the replicas of a resource template, as Karmada's resource interpreter does.
type Interpreter interface {
	// HookEnabled reports whether the interpreter implements an operation for a kind.
	HookEnabled(gvk schema.GroupVersionKind, op configv1alpha1.InterpreterOperation) bool
	// GetReplicas returns the template's replicas and the requirements of one replica.
	GetReplicas(obj *unstructured.Unstructured) (int32, *workv1alpha2.ReplicaRequirements, error)
	// GetComponents returns the template's components (multi-template workloads).
	GetComponents(obj *unstructured.Unstructured) ([]workv1alpha2.Component, error)
}

// DefaultInterpreter is Karmada's built-in interpretation: the third-party customizations
// (Volcano Job, Kubeflow, Argo, ...) first, then the native one (Deployment, Job, ...).
// ResourceInterpreterCustomizations and interpreter webhooks of the Karmada apiserver are
// not consulted.
type DefaultInterpreter struct {
	thirdParty *thirdparty.ConfigurableInterpreter
	native     *native.DefaultInterpreter
}

var _ Interpreter = &DefaultInterpreter{}

// NewDefaultInterpreter returns Karmada's built-in interpretation.
func NewDefaultInterpreter() *DefaultInterpreter {
	return &DefaultInterpreter{thirdParty: thirdparty.NewConfigurableInterpreter(), native: native.NewDefaultInterpreter()}
}

// HookEnabled implements Interpreter.
func (i *DefaultInterpreter) HookEnabled(gvk schema.GroupVersionKind, op configv1alpha1.InterpreterOperation) bool {
	return i.thirdParty.HookEnabled(gvk, op) || i.native.HookEnabled(gvk, op)
}

// GetReplicas implements Interpreter.
func (i *DefaultInterpreter) GetReplicas(obj *unstructured.Unstructured) (int32, *workv1alpha2.ReplicaRequirements, error) {
	if replicas, req, enabled, err := i.thirdParty.GetReplicas(obj); enabled {
		return replicas, req, err
	}
	return i.native.GetReplicas(obj)
}

// GetComponents implements Interpreter.
func (i *DefaultInterpreter) GetComponents(obj *unstructured.Unstructured) ([]workv1alpha2.Component, error) {
	if components, enabled, err := i.thirdParty.GetComponents(obj); enabled {
		return components, err
	}
	return i.native.GetComponents(obj)
}

// BindingBuilder builds the ResourceBinding Karmada's detector would create for a template
// propagated with a placement.
type BindingBuilder struct {
	// Interpreter reads replicas and components.
	Interpreter Interpreter
	// MultiplePodTemplatesScheduling is Karmada's feature gate of that name: with it, the
	// components of multi-template workloads (Volcano Jobs, ...) are interpreted instead of
	// their replicas.
	MultiplePodTemplatesScheduling bool
}

// Build returns the binding of template propagated with placement by schedulerName.
func (b *BindingBuilder) Build(template *unstructured.Unstructured, placement *policyv1alpha1.Placement, schedulerName string) (*workv1alpha2.ResourceBinding, error) {
	rb := &workv1alpha2.ResourceBinding{
		ObjectMeta: metav1.ObjectMeta{
			Name:      names.GenerateBindingName(template.GetKind(), template.GetName()),
			Namespace: template.GetNamespace(),
		},
		Spec: workv1alpha2.ResourceBindingSpec{
			SchedulerName: schedulerName,
			Placement:     placement.DeepCopy(),
			Resource: workv1alpha2.ObjectReference{
				APIVersion:      template.GetAPIVersion(),
				Kind:            template.GetKind(),
				Namespace:       template.GetNamespace(),
				Name:            template.GetName(),
				UID:             template.GetUID(),
				ResourceVersion: template.GetResourceVersion(),
			},
		},
	}
	gvk := template.GroupVersionKind()
	if b.MultiplePodTemplatesScheduling && b.Interpreter.HookEnabled(gvk, configv1alpha1.InterpreterOperationInterpretComponent) {
		components, err := b.Interpreter.GetComponents(template)
		if err != nil {
			return nil, fmt.Errorf("interpreting the components of %s %s: %w", template.GetKind(), template.GetName(), err)
		}
		rb.Spec.Components = components
		return rb, nil
	}
	if b.Interpreter.HookEnabled(gvk, configv1alpha1.InterpreterOperationInterpretReplica) {
		replicas, requirements, err := b.Interpreter.GetReplicas(template)
		if err != nil {
			return nil, fmt.Errorf("interpreting the replicas of %s %s: %w", template.GetKind(), template.GetName(), err)
		}
		rb.Spec.Replicas, rb.Spec.ReplicaRequirements = replicas, requirements
	}
	return rb, nil
}
