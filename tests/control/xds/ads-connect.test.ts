// SotW ADS through Connect's gRPC transport on HTTP/2, on a real socket.
import { connectSotwDriver } from "./ads-harness.ts";
import { runSotwCases } from "./sotw-cases.ts";

runSotwCases("Connect gRPC transport (HTTP/2)", connectSotwDriver);
