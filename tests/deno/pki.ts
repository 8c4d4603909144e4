// Test PKI for the Deno tests, made by the real openssl CLI: a CA, server and SPIFFE client certificates, a foreign CA.

export interface Pki {
  /** The directory holding every file below as <name>.crt / <name>.key. */
  readonly dir: string;
  /** PEM of ca.crt (the trusted CA). */
  readonly ca: string;
  /** PEM of svc.crt / svc.key: server certificate for DNS:svc.test, DNS:localhost, IP:127.0.0.1. */
  readonly cert: string;
  readonly key: string;
  /** client.crt / client.key: signed by ca, URI SAN `CLIENT_SPIFFE_ID`. */
  readonly client: { readonly cert: string; readonly key: string };
  /** rogue.crt / rogue.key: a client certificate with a SPIFFE ID, signed by another CA (other-ca.crt). */
  readonly rogue: { readonly cert: string; readonly key: string };
  readonly path: (file: string) => string;
}

export const CLIENT_SPIFFE_ID = "spiffe://weft.test/ns/default/sa/client";

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "weft-deno-pki-" });
  const openssl = async (...args: string[]) => {
    const { code, stderr } = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(stderr)}`);
  };
  for (const ca of ["ca", "other-ca"]) {
    await openssl(
      "req",
      "-x509",
      ...EC,
      "-keyout",
      `${ca}.key`,
      "-out",
      `${ca}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=Weft Deno ${ca}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  }
  const leaf = async (name: string, cn: string, ext: string, ca = "ca") => {
    await openssl(
      "req",
      "-new",
      ...EC,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${cn}`,
    );
    await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
    await openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    );
  };
  await leaf(
    "svc",
    "svc.test",
    "subjectAltName=DNS:svc.test,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  await leaf(
    "client",
    "weft-client",
    `subjectAltName=URI:${CLIENT_SPIFFE_ID}\nextendedKeyUsage=clientAuth\n`,
  );
  await leaf(
    "rogue",
    "rogue-client",
    "subjectAltName=URI:spiffe://elsewhere.test/ns/default/sa/client\nextendedKeyUsage=clientAuth\n",
    "other-ca",
  );
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  return {
    dir,
    ca: await read("ca.crt"),
    cert: await read("svc.crt"),
    key: await read("svc.key"),
    client: { cert: await read("client.crt"), key: await read("client.key") },
    rogue: { cert: await read("rogue.crt"), key: await read("rogue.key") },
    path: (file) => `${dir}/${file}`,
  };
}
