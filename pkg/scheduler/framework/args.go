package framework

import (
	"bytes"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// Args is implemented by the typed arguments of kurator's plugins.
type Args interface {
	// SetDefaults fills in every unset field.
	SetDefaults()
	// Validate checks defaulted arguments; fldPath is where they sit in the profile.
	Validate(fldPath *field.Path) field.ErrorList
}

// typeMeta is the apiVersion and kind an args object may carry.
type typeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

// DecodeArgs decodes a pluginConfig args object (JSON) into into, strictly: unknown and
// duplicate fields are errors, and apiVersion and kind, when present, must be apiVersion and
// kind. The arguments are then defaulted and validated. Errors name the field under fldPath.
func DecodeArgs(raw []byte, apiVersion, kind string, into Args, fldPath *field.Path) field.ErrorList {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var tm typeMeta
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &tm); err != nil {
			return field.ErrorList{field.Invalid(fldPath, string(raw), fmt.Sprintf("must be an object: %v", err))}
		}
		var errs field.ErrorList
		if tm.APIVersion != "" && tm.APIVersion != apiVersion {
			errs = append(errs, field.NotSupported(fldPath.Child("apiVersion"), tm.APIVersion, []string{apiVersion}))
		}
		if tm.Kind != "" && tm.Kind != kind {
			errs = append(errs, field.NotSupported(fldPath.Child("kind"), tm.Kind, []string{kind}))
		}
		if len(errs) > 0 {
			return errs
		}
		strict, err := kjson.UnmarshalStrict(raw, into)
		if err != nil {
			return field.ErrorList{field.Invalid(fldPath, "<args>", fmt.Sprintf("cannot decode %s: %v", kind, err))}
		}
		for _, e := range strict {
			// apiVersion and kind were checked above, whether into carries them or not.
			if m := e.Error(); strings.HasSuffix(m, `"apiVersion"`) || strings.HasSuffix(m, `"kind"`) {
				continue
			}
			errs = append(errs, strictError(fldPath, e))
		}
		if len(errs) > 0 {
			return errs
		}
	}
	into.SetDefaults()
	return into.Validate(fldPath)
}

// strictError turns `unknown field "a.b[0].c"` into an error at that path.
func strictError(fldPath *field.Path, err error) *field.Error {
	msg := err.Error()
	if i := strings.Index(msg, `"`); i >= 0 {
		if j := strings.LastIndex(msg, `"`); j > i {
			name := msg[i+1 : j]
			kind := strings.TrimSpace(msg[:i])
			if strings.HasPrefix(kind, "unknown field") {
				return field.Invalid(fldPath.Child(name), "", "unknown field: check its spelling against the documented arguments")
			}
			if strings.HasPrefix(kind, "duplicate field") {
				return field.Duplicate(fldPath.Child(name), name)
			}
		}
	}
	return field.Invalid(fldPath, "", msg)
}
