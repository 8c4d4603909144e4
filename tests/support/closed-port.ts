// A loopback port nothing listens on, outside the ephemeral range: for tests of refused connections.
import { createServer } from "node:net";

/**
 * A loopback port that nothing listens on (bound once, then closed): connecting to it is refused. Taken below
 * Linux's ephemeral range (32768+), which `listen(0)` and outgoing connections draw from: a connection to a
 * closed ephemeral port can be given that same port as its source and connect to itself (TCP simultaneous
 * open), and another test's listen(0) can take the port — both made "refused" tests flaky.
 */
export async function closedPort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 10_000);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
}
