// The marker the control server's ADS wrappers put in a message in place of bytes they handle themselves.
//
// Response splicing (response-splice.ts) marks a response whose resources follow its envelope; request name
// sharing (request-names.ts) marks a request whose names it cut out. Either is a fixed32 id in field 536870911,
// the highest field number protobuf allows, which no xDS message uses.
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export const MARKER_FIELD = 536_870_911;
/** The marker's tag as protobuf-es writes it (5 bytes); the id follows (4 bytes, little endian). */
export const MARKER_TAG = new BinaryWriter().tag(MARKER_FIELD, WireType.Bit32).finish();
/** gRPC / Connect envelope: 1 flag byte, 4 length bytes (big endian). */
export const ENVELOPE_HEAD = 5;
