// The floor for workerd: a Worker that only fetch()es the upstream (no Weft), served the same way as the edge.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(`http://127.0.0.1:${env.UPSTREAM_PORT}${url.pathname}${url.search}`, {
      headers: request.headers,
      redirect: "manual",
    });
  },
};
