// SotW ADS against a plain @grpc/grpc-js client using Envoy's own protos (proto-loader), on a real socket.
import { grpcJsSotwDriver } from "./ads-harness.ts";
import { runSotwCases } from "./sotw-cases.ts";

runSotwCases("@grpc/grpc-js (h2c)", grpcJsSotwDriver);
