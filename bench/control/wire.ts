// Cheap reads of xDS resources for the simulated proxies: top-level protobuf fields without a full decode.
import { fromBinary } from "@bufbuild/protobuf";
import { ClusterLoadAssignmentSchema } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";

const decoder = new TextDecoder();
const { utf8Slice } = Buffer.prototype as unknown as {
  utf8Slice(this: Uint8Array, start: number, end: number): string;
};
/** `bytes[start, end)` as a string (Buffer's own slice: no subarray object, cheaper than TextDecoder). */
const text = (bytes: Uint8Array, start: number, end: number) => utf8Slice.call(bytes, start, end);

/**
 * One string per distinct name or version across all simulated proxies: 500 proxies each holding 3,400 names
 * and versions decoded anew kept the simulator's heap (and its GC) larger than the control plane's.
 */
const strings = new Map<string, string>();
function intern(s: string): string {
  const known = strings.get(s);
  if (known !== undefined) return known;
  strings.set(s, s);
  return s;
}

function varint(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 1;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * shift;
    if (b < 0x80) return [value, pos];
    shift *= 128;
  }
}

/** Calls `visit(field, wireType, start, end, varintValue)` for each top-level field of an encoded message. */
function scan(
  bytes: Uint8Array,
  visit: (field: number, wire: number, start: number, end: number, value: number) => boolean | void,
): void {
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, afterTag] = varint(bytes, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let start = afterTag;
    let end: number;
    let value = 0;
    if (wire === 0) [value, end] = varint(bytes, afterTag);
    else if (wire === 1) end = afterTag + 8;
    else if (wire === 5) end = afterTag + 4;
    else if (wire === 2) {
      const [len, afterLen] = varint(bytes, afterTag);
      start = afterLen;
      end = afterLen + len;
    } else throw new Error(`unsupported wire type ${wire}`);
    if (visit(field, wire, start, end, value) === false) return;
    pos = end;
  }
}

/** The `value` of an encoded google.protobuf.Any (type_url is 1, value 2). */
export function anyValue(any: Uint8Array): Uint8Array {
  let value: Uint8Array = new Uint8Array(0);
  scan(any, (field, wire, start, end) => {
    if (field === 2 && wire === 2) value = any.subarray(start, end);
  });
  return value;
}

/** An encoded envoy.service.discovery.v3.Resource, read for a delta proxy: its name and where its value lies. */
export interface DeltaResource {
  readonly name: string;
  /** The bytes holding the resource's Any (field 2); its `value` is `valueStart..valueEnd` of `bytes`. */
  readonly bytes: Uint8Array;
  readonly valueStart: number;
  readonly valueEnd: number;
}

/**
 * The name (3) and the packed value (2 → Any.value) of an encoded Resource. Hot: 500 proxies read 1.7 million of
 * them in a first push, so no closures or sub-arrays here; the version (1) is skipped, as the delta simulator
 * never compares versions (the control plane tracks what each proxy holds from its ACKs).
 */
export function deltaResource(bytes: Uint8Array): DeltaResource {
  let name = "";
  let valueStart = 0;
  let valueEnd = 0;
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, afterTag] = varint(bytes, pos);
    if ((tag & 7) !== 2) throw new Error(`unexpected wire type ${tag & 7} in a Resource`);
    const [len, start] = varint(bytes, afterTag);
    const end = start + len;
    const field = tag >>> 3;
    if (field === 3) name = intern(text(bytes, start, end));
    else if (field === 2) {
      // Any: type_url (1), value (2)
      for (let p = start; p < end;) {
        const [t, afterT] = varint(bytes, p);
        const [l, s] = varint(bytes, afterT);
        if (t === ((2 << 3) | 2)) {
          valueStart = s;
          valueEnd = s + l;
        }
        p = s + l;
      }
    }
    pos = end;
  }
  return { name, bytes, valueStart, valueEnd };
}

/** The packed value of a DeltaResource, as a view. */
export const deltaValue = (r: DeltaResource): Uint8Array => r.bytes.subarray(r.valueStart, r.valueEnd);

/** Field 1 as a string: Cluster.name, Listener.name, RouteConfiguration.name, ClusterLoadAssignment.cluster_name. */
export function resourceName(bytes: Uint8Array): string {
  let name = "";
  scan(bytes, (field, wire, start, end) => {
    if (field === 1 && wire === 2) {
      name = intern(text(bytes, start, end));
      return false;
    }
  });
  return name;
}

const EDS = 3; // envoy.config.cluster.v3.Cluster.DiscoveryType.EDS

/** A Cluster's name and, for an EDS cluster, the name its endpoints are requested under. */
export function clusterEdsName(bytes: Uint8Array): { name: string; eds?: string } {
  let name = "";
  let type = 0;
  let serviceName = "";
  scan(bytes, (field, wire, start, end, value) => {
    if (field === 1 && wire === 2) name = intern(text(bytes, start, end));
    else if (field === 2 && wire === 0) type = value;
    else if (field === 3 && wire === 2) {
      const inner = bytes.subarray(start, end);
      scan(inner, (f, w, s, e) => {
        if (f === 2 && w === 2) serviceName = intern(text(inner, s, e));
      });
    }
  });
  return type === EDS ? { name, eds: serviceName || name } : { name };
}

const HCM_URL =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

/** Fields of `bytes` numbered `field` (length-delimited), as sub-arrays. */
function fields(bytes: Uint8Array, field: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  scan(bytes, (f, w, start, end) => {
    if (f === field && w === 2) out.push(bytes.subarray(start, end));
  });
  return out;
}

/** The route name an Any-packed HttpConnectionManager fetches over RDS. */
function hcmRouteName(any: Uint8Array): string | undefined {
  const [url] = fields(any, 1);
  const [value] = fields(any, 2);
  if (!url || !value || decoder.decode(url) !== HCM_URL) return undefined;
  const [rds] = fields(value, 3); // HttpConnectionManager.rds
  const [name] = rds ? fields(rds, 2) : []; // Rds.route_config_name
  return name === undefined ? undefined : decoder.decode(name);
}

/**
 * The RDS route names a Listener's HTTP connection managers ask for: filter_chains (3) and
 * default_filter_chain (25) → filters (3) → typed_config (4), and api_listener (19) → api_listener (1).
 */
export function listenerRouteNames(bytes: Uint8Array): string[] {
  const anys: Uint8Array[] = [];
  for (const chain of [...fields(bytes, 3), ...fields(bytes, 25)]) {
    for (const filter of fields(chain, 3)) anys.push(...fields(filter, 4));
  }
  for (const api of fields(bytes, 19)) anys.push(...fields(api, 1));
  const names: string[] = [];
  for (const any of anys) {
    const name = hcmRouteName(any);
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** Whether an encoded ClusterLoadAssignment has an endpoint at `address`. */
export function loadAssignmentHas(bytes: Uint8Array, address: string): boolean {
  const cla = fromBinary(ClusterLoadAssignmentSchema, bytes);
  for (const locality of cla.endpoints) {
    for (const lb of locality.lbEndpoints) {
      if (lb.hostIdentifier.case !== "endpoint") continue;
      const socket = lb.hostIdentifier.value.address?.address;
      if (socket?.case === "socketAddress" && socket.value.address === address) return true;
    }
  }
  return false;
}
