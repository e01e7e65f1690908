//go:build kubernetes_protomessage_one_more_release

package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
)

// TestCodecMatchesProtobuf checks, where protobuf reflection works (built with
// kubernetes_protomessage_one_more_release, as Karmada builds its binaries), that Codec
// writes what protobuf-go reads and reads what protobuf-go writes.
func TestCodecMatchesProtobuf(t *testing.T) {
	for _, msg := range sampleRequests() {
		pm := msg.(proto.Message)
		ours, err := Codec{}.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		decoded := newLike(msg).(proto.Message)
		if err := proto.Unmarshal(ours, decoded); err != nil {
			t.Fatalf("protobuf-go cannot read Codec's %T: %v", msg, err)
		}
		if diff := cmp.Diff(pm, decoded, protocmp.Transform()); diff != "" {
			t.Errorf("%T written by Codec, read by protobuf-go (-want +got):\n%s", msg, diff)
		}
		theirs, err := proto.Marshal(pm)
		if err != nil {
			t.Fatal(err)
		}
		back := newLike(msg)
		if err := (Codec{}).Unmarshal(theirs, back); err != nil {
			t.Fatalf("Codec cannot read protobuf-go's %T: %v", msg, err)
		}
		if diff := cmp.Diff(pm, back.(proto.Message), protocmp.Transform()); diff != "" {
			t.Errorf("%T written by protobuf-go, read by Codec (-want +got):\n%s", msg, diff)
		}
	}
}
