// Bookinfo-shaped demo services (productpage, details, reviews v1/v2/v3, ratings) that call each other through their sidecars.
import { createServer, request, type Server } from "node:http";

export type BookinfoApp = "productpage" | "details" | "reviews" | "ratings";

export interface BookinfoServiceOptions {
  readonly app: BookinfoApp;
  readonly version: string;
  /** Where the app listens (the pod's "localhost"). */
  readonly host: string;
  readonly port: number;
  /** The sidecar's outbound address: calls to other services go there with the service's Host header. */
  readonly outbound: string;
}

/** Calls another mesh service through the local sidecar, forwarding the headers Istio's sample forwards. */
function callService(
  outbound: string,
  service: string,
  path: string,
  incoming: Record<string, unknown>,
): Promise<unknown> {
  const headers: Record<string, string> = { host: `${service}:9080` };
  for (const h of ["end-user", "x-request-id", "user-agent", "cookie"]) {
    if (typeof incoming[h] === "string") headers[h] = incoming[h] as string;
  }
  return new Promise((resolve) => {
    const req = request({ host: outbound, port: 9080, path, headers, timeout: 3000 }, (res) => {
      let body = "";
      res.on("data", (c) => body += c);
      res.on("end", () => {
        try {
          resolve(
            res.statusCode === 200
              ? JSON.parse(body)
              : { error: `${service} answered ${res.statusCode}`, body: body.trim() },
          );
        } catch {
          resolve({ error: `${service} answered ${res.statusCode}`, body: body.trim() });
        }
      });
    });
    req.on("error", (err) => resolve({ error: `${service} unavailable: ${err.message}` }));
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end();
  });
}

export function startBookinfoService(o: BookinfoServiceOptions): Promise<Server> {
  const server = createServer(async (req, res) => {
    const h = req.headers as Record<string, unknown>;
    let body: unknown;
    const path = req.url ?? "/";
    switch (o.app) {
      case "details":
        body = {
          id: 0,
          author: "William Shakespeare",
          year: 1595,
          type: "paperback",
          pages: 200,
          publisher: "PublisherA",
        };
        break;
      case "ratings":
        body = { id: 0, ratings: { Reviewer1: 5, Reviewer2: 4 }, served_by: `ratings-${o.version}` };
        break;
      case "reviews": {
        const reviews: Record<string, unknown>[] = [
          { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare." },
          { reviewer: "Reviewer2", text: "Absolutely fun and entertaining." },
        ];
        if (o.version !== "v1") {
          const ratings = await callService(o.outbound, "ratings", "/ratings/0", h) as {
            ratings?: Record<string, number>;
          };
          const color = o.version === "v2" ? "black" : "red";
          reviews.forEach((r, i) =>
            r.rating = { stars: ratings.ratings?.[`Reviewer${i + 1}`] ?? "unavailable", color }
          );
        }
        body = { id: 0, podname: `reviews-${o.version}`, version: o.version, reviews };
        break;
      }
      case "productpage": {
        if (path === "/health" || path === "/healthz") {
          body = { status: "ok" };
          break;
        }
        const [details, reviews] = await Promise.all([
          callService(o.outbound, "details", "/details/0", h),
          callService(o.outbound, "reviews", "/reviews/0", h),
        ]);
        body = { product: "The Comedy of Errors", user: h["end-user"] ?? null, details, reviews };
        break;
      }
    }
    const text = JSON.stringify(body, null, 2) + "\n";
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => resolve(server));
  });
}
