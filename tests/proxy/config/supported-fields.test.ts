// The supported-fields table is consistent with the generated descriptors and closed under supported fields.
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { BootstrapSchema } from "../../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { SUPPORTED_FIELDS } from "../../../proxy/config/supported-fields.ts";

const registry = createConfigRegistry();
const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter(Boolean);

/** Every message type reachable from Bootstrap (and through typed_config types) in the generated code. */
function allMessages(): Map<string, DescMessage> {
  const out = new Map<string, DescMessage>();
  const visit = (m: DescMessage) => {
    if (out.has(m.typeName)) return;
    out.set(m.typeName, m);
    for (const f of m.fields) if (f.message) visit(f.message);
  };
  visit(BootstrapSchema);
  for (const t of registry) if (t.kind === "message") visit(t);
  return out;
}

function messageOf(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  if (field.fieldKind === "map" && field.mapKind === "message") return field.message;
  return undefined;
}

describe("SUPPORTED_FIELDS", () => {
  const messages = allMessages();

  it("names only real message types and real fields", () => {
    const problems: string[] = [];
    for (const [typeName, support] of Object.entries(SUPPORTED_FIELDS)) {
      const desc = messages.get(typeName);
      if (!desc) {
        problems.push(`${typeName}: no such message`);
        continue;
      }
      const names = [
        ...words(support.supported),
        ...words(support.ignored),
        ...Object.keys(support.unsupported ?? {}),
        ...Object.keys(support.anyTypes ?? {}),
        ...Object.keys(support.values ?? {}),
      ];
      for (const name of names) {
        if (!desc.field[name] && !desc.fields.some((f) => f.name === name)) {
          problems.push(`${typeName}.${name}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("has an entry for every message reachable through a supported field", () => {
    const missing: string[] = [];
    for (const [typeName, support] of Object.entries(SUPPORTED_FIELDS)) {
      const desc = messages.get(typeName)!;
      for (const name of words(support.supported)) {
        const child = messageOf(desc.fields.find((f) => f.name === name)!);
        if (child && !child.typeName.startsWith("google.protobuf.") && !SUPPORTED_FIELDS[child.typeName]) {
          missing.push(`${typeName}.${name} → ${child.typeName}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("lists Any types that are in the registry and in the table, on Any fields only", () => {
    const problems: string[] = [];
    for (const [typeName, support] of Object.entries(SUPPORTED_FIELDS)) {
      for (const [field, types] of Object.entries(support.anyTypes ?? {})) {
        const f = messages.get(typeName)!.fields.find((x) => x.name === field)!;
        if (messageOf(f)?.typeName !== "google.protobuf.Any") {
          problems.push(`${typeName}.${field} is not an Any`);
        }
        for (const t of words(types)) {
          if (!registry.getMessage(t)) problems.push(`${t} not in registry`);
          if (!SUPPORTED_FIELDS[t]) problems.push(`${t} has no table entry`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("restricts enum fields only to values that exist", () => {
    const problems: string[] = [];
    for (const [typeName, support] of Object.entries(SUPPORTED_FIELDS)) {
      for (const [field, values] of Object.entries(support.values ?? {})) {
        const f = messages.get(typeName)!.fields.find((x) => x.name === field)!;
        if (f.fieldKind !== "enum") continue;
        for (const v of words(values)) {
          if (!f.enum.values.some((e) => e.name === v)) problems.push(`${typeName}.${field}=${v}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("covers every typed_config type in the registry that Weft accepts somewhere", () => {
    const accepted = new Set(
      Object.values(SUPPORTED_FIELDS).flatMap((s) => Object.values(s.anyTypes ?? {}).flatMap(words)),
    );
    expect([...accepted].sort()).toEqual(
      [
        "envoy.extensions.filters.http.router.v3.Router",
        "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector",
        "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest",
        "envoy.extensions.load_balancing_policies.maglev.v3.Maglev",
        "envoy.extensions.load_balancing_policies.random.v3.Random",
        "envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash",
        "envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin",
        "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
      ],
    );
  });
});
