// Compiles Envoy's Upstream/DownstreamTlsContext (inline or file data sources) into the runtime's TLS options.
import { type Any, anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import type { DataSource } from "../../gen/envoy/config/core/v3/base_pb.ts";
import {
  type CommonTlsContext,
  DownstreamTlsContextSchema,
  UpstreamTlsContextSchema,
} from "../../gen/envoy/extensions/transport_sockets/tls/v3/tls_pb.ts";
import type { ClientTlsOptions, ServerTlsOptions } from "../runtime/types.ts";
import { WeftError } from "../errors.ts";

/** Reads a file referenced by config (runtimes without files reject such config). */
export type ReadTextFile = (path: string) => Promise<string>;

const decoder = new TextDecoder();

export async function readDataSource(
  ds: DataSource | undefined,
  readFile: ReadTextFile | undefined,
  field: string,
): Promise<string | undefined> {
  const spec = ds?.specifier;
  switch (spec?.case) {
    case undefined:
      return undefined;
    case "inlineString":
      return spec.value;
    case "inlineBytes":
      return decoder.decode(spec.value);
    case "filename":
      if (!readFile) {
        throw new WeftError(
          "unsupported",
          `${field}.filename: this runtime cannot read files; inline the PEM`,
        );
      }
      return await readFile(spec.value);
    default:
      throw new WeftError(
        "config",
        `${field}: data source ${spec?.case} is not supported (use filename or inline_string)`,
      );
  }
}

async function commonParts(
  ctx: CommonTlsContext | undefined,
  readFile: ReadTextFile | undefined,
  field: string,
) {
  const cert = ctx?.tlsCertificates[0];
  const validation = ctx?.validationContextType.case === "validationContext"
    ? ctx.validationContextType.value
    : undefined;
  if (ctx?.validationContextType.case && !validation) {
    throw new WeftError(
      "config",
      `${field}.common_tls_context.${ctx.validationContextType.case}: only an inline validation_context is supported`,
    );
  }
  if (ctx?.tlsCertificateSdsSecretConfigs.length) {
    throw new WeftError(
      "config",
      `${field}.common_tls_context.tls_certificate_sds_secret_configs: SDS is not supported yet`,
    );
  }
  return {
    certPem: await readDataSource(
      cert?.certificateChain,
      readFile,
      `${field}.common_tls_context.tls_certificates[0].certificate_chain`,
    ),
    keyPem: await readDataSource(
      cert?.privateKey,
      readFile,
      `${field}.common_tls_context.tls_certificates[0].private_key`,
    ),
    caPem: await readDataSource(
      validation?.trustedCa,
      readFile,
      `${field}.common_tls_context.validation_context.trusted_ca`,
    ),
    alpn: ctx?.alpnProtocols.length ? ctx.alpnProtocols : undefined,
  };
}

export async function compileUpstreamTls(
  config: Any,
  readFile: ReadTextFile | undefined,
  field: string,
): Promise<ClientTlsOptions> {
  if (!anyIs(config, UpstreamTlsContextSchema)) {
    throw new WeftError(
      "config",
      `${field}.typed_config: expected UpstreamTlsContext, got ${config.typeUrl}`,
    );
  }
  const tls = anyUnpack(config, UpstreamTlsContextSchema)!;
  const parts = await commonParts(tls.commonTlsContext, readFile, field);
  return { ...parts, serverName: tls.sni || undefined, insecure: parts.caPem === undefined };
}

export async function compileDownstreamTls(
  config: Any,
  readFile: ReadTextFile | undefined,
  field: string,
): Promise<ServerTlsOptions> {
  if (!anyIs(config, DownstreamTlsContextSchema)) {
    throw new WeftError(
      "config",
      `${field}.typed_config: expected DownstreamTlsContext, got ${config.typeUrl}`,
    );
  }
  const tls = anyUnpack(config, DownstreamTlsContextSchema)!;
  const parts = await commonParts(tls.commonTlsContext, readFile, field);
  if (!parts.certPem || !parts.keyPem) {
    throw new WeftError(
      "config",
      `${field}: a DownstreamTlsContext needs common_tls_context.tls_certificates with a certificate_chain and private_key`,
    );
  }
  return {
    certPem: parts.certPem,
    keyPem: parts.keyPem,
    caPem: parts.caPem,
    alpn: parts.alpn,
    requireClientCert: tls.requireClientCertificate ?? false,
  };
}
