/**
 * A small client of the OCI distribution API (Docker Registry v2): is a tag there, what is its
 * digest, and is everything it references stored. Basic auth, and the bearer-token exchange
 * that hosted registries (ghcr.io, Docker Hub) ask for.
 */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface ImageRegistryClientOptions {
  /** `host[:port]`, optionally with a scheme; loopback hosts default to plain HTTP, as Docker does. */
  url: string;
  credentials?: RegistryCredentials;
  timeoutMs?: number;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

export class RegistryRequestError extends Error {
  override readonly name = 'RegistryRequestError';
  constructor(message: string, readonly status: number | undefined) {
    super(message);
  }
}

interface Manifest {
  config?: { digest: string };
  layers?: { digest: string }[];
  manifests?: { digest: string }[];
}

export class ImageRegistryClient {
  readonly host: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private bearer: string | undefined;

  constructor(private readonly options: ImageRegistryClientOptions) {
    const { host, baseUrl } = registryEndpoint(options.url);
    this.host = host;
    this.baseUrl = baseUrl;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The digest the registry serves for `repository:tag`, or undefined when there is no such tag. */
  async manifestDigest(repository: string, tag: string): Promise<string | undefined> {
    const response = await this.request('HEAD', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, `pull:${repository}`);
    if (response.status === 404) return undefined;
    if (!response.ok) throw new RegistryRequestError(`registry ${this.host}: HEAD manifest ${repository}:${tag} answered ${response.status}`, response.status);
    const digest = response.headers.get('docker-content-digest');
    if (!digest) throw new RegistryRequestError(`registry ${this.host} sent no Docker-Content-Digest for ${repository}:${tag}`, response.status);
    return digest;
  }

  /**
   * True when the tag's manifest and every blob it references (config, layers, child manifests)
   * are stored: a tag can only be trusted whole. A registry writes the tag last, but a tag left by
   * a broken registry or a hand-made manifest is checked here before a build is skipped.
   */
  async isComplete(repository: string, reference: string): Promise<boolean> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${encodeURIComponent(reference)}`, `pull:${repository}`);
    if (response.status === 404) return false;
    if (!response.ok) throw new RegistryRequestError(`registry ${this.host}: GET manifest ${repository}:${reference} answered ${response.status}`, response.status);
    const manifest = (await response.json()) as Manifest;
    for (const child of manifest.manifests ?? []) if (!(await this.isComplete(repository, child.digest))) return false;
    const blobs = [manifest.config?.digest, ...(manifest.layers ?? []).map((l) => l.digest)].filter((d): d is string => d !== undefined);
    for (const digest of blobs) {
      const blob = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, `pull:${repository}`);
      if (!blob.ok) return false;
    }
    return true;
  }

  async tags(repository: string): Promise<string[]> {
    const response = await this.request('GET', `/v2/${repository}/tags/list`, `pull:${repository}`);
    if (response.status === 404) return [];
    if (!response.ok) throw new RegistryRequestError(`registry ${this.host}: tags of ${repository} answered ${response.status}`, response.status);
    return ((await response.json()) as { tags?: string[] | null }).tags ?? [];
  }

  private async request(method: string, path: string, scope: string): Promise<Response> {
    const send = () =>
      fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { accept: MANIFEST_TYPES, ...this.authorization() },
        signal: AbortSignal.timeout(this.timeoutMs),
      }).catch((err: Error) => {
        throw new RegistryRequestError(`registry ${this.host} is unreachable: ${err.message}`, undefined);
      });
    let response = await send();
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate') ?? '';
      await response.body?.cancel();
      if (/^Bearer /i.test(challenge)) this.bearer = await this.fetchBearerToken(challenge, scope);
      else if (!this.options.credentials) throw new RegistryRequestError(`registry ${this.host} requires authentication and no credentials were given`, 401);
      response = await send();
      if (response.status === 401) throw new RegistryRequestError(`registry ${this.host} refused the credentials (401)`, 401);
    }
    return response;
  }

  private authorization(): Record<string, string> {
    if (this.bearer) return { authorization: `Bearer ${this.bearer}` };
    const c = this.options.credentials;
    return c ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` } : {};
  }

  /** The token flow of the distribution spec: realm?service=…&scope=…, with basic auth when we have credentials. */
  private async fetchBearerToken(challenge: string, scope: string): Promise<string> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]));
    if (!params.realm) throw new RegistryRequestError(`registry ${this.host} sent a bearer challenge without a realm`, 401);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${scope.split(':')[1]}:${scope.split(':')[0]}`);
    const c = this.options.credentials;
    const response = await fetch(url, {
      headers: c ? { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new RegistryRequestError(`registry ${this.host}: token request answered ${response.status}`, response.status);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryRequestError(`registry ${this.host}: token response had no token`, response.status);
    return token;
  }
}

/** `127.0.0.1:5001` → host `127.0.0.1:5001`, http; `ghcr.io` → https; an explicit scheme wins. */
export function registryEndpoint(url: string): { host: string; baseUrl: string } {
  const explicit = /^(https?):\/\/(.*)$/.exec(url.trim());
  const host = (explicit ? explicit[2]! : url.trim()).replace(/\/+$/, '');
  const hostname = host.replace(/:\d+$/, '');
  const loopback = hostname === 'localhost' || /^127\./.test(hostname) || hostname === '[::1]';
  const scheme = explicit ? explicit[1]! : loopback ? 'http' : 'https';
  return { host, baseUrl: `${scheme}://${host}` };
}
