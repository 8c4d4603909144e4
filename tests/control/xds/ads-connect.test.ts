// SotW ADS through Connect clients on HTTP/2, on a real socket: the gRPC transport, and the Connect protocol with JSON.
import { createConnectTransport } from "@connectrpc/connect-node";
import { createConfigRegistry } from "../../../proxy/config/registry.ts";
import { connectSotwDriver } from "./ads-harness.ts";
import { runSotwCases } from "./sotw-cases.ts";

runSotwCases("Connect gRPC transport (HTTP/2)", connectSotwDriver);

// JSON carries each resource as an Any with its type spelled out: both ends need the types (the registry).
runSotwCases("the Connect protocol with JSON (HTTP/2)", (port) =>
  connectSotwDriver(
    port,
    createConnectTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      httpVersion: "2",
      useBinaryFormat: false,
      jsonOptions: { registry: createConfigRegistry() },
    }),
  ));
