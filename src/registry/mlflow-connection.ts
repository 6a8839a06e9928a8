/**
 * Turns the definition's `registry: { kind: mlflow, ... }` into client options. Secrets are the
 * *names* of environment variables in the definition; their values are read here, in the
 * process that talks to MLflow (the worker, the CLI), so they never enter workflow history.
 */
import { durationToMs } from '../spec/duration.js';
import type { RegistrySection } from '../spec/schema.js';
import type { MlflowClientOptions } from './mlflow-client.js';
import { MlflowConfigurationError } from './mlflow-errors.js';

export type MlflowRegistrySection = Extract<RegistrySection, { kind: 'mlflow' }>;

export function mlflowClientOptions(section: MlflowRegistrySection, env: NodeJS.ProcessEnv = process.env): MlflowClientOptions {
  const headers: Record<string, string> = {};
  if (section.headersEnv !== undefined) Object.assign(headers, headersFromEnv(section.headersEnv, env));
  if (section.authTokenEnv !== undefined) {
    const token = env[section.authTokenEnv];
    if (!token) throw new MlflowConfigurationError(`environment variable ${section.authTokenEnv} (registry.authTokenEnv) is not set in this process's environment`);
    headers.authorization = `Bearer ${token}`;
  }
  return {
    trackingUri: section.trackingUri,
    headers,
    timeoutMs: durationToMs(section.timeout ?? '30s'),
    artifactTimeoutMs: durationToMs(section.artifactTimeout ?? '10m'),
  };
}

/** Extra headers from a JSON object of strings, e.g. `{"Authorization": "Basic dXNlcjpwYXNz", "X-Team": "risk"}`. */
function headersFromEnv(name: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const text = env[name];
  if (!text) throw new MlflowConfigurationError(`environment variable ${name} (registry.headersEnv) is not set in this process's environment`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MlflowConfigurationError(`environment variable ${name} (registry.headersEnv) must hold a JSON object of header names to values, e.g. {"X-Team": "risk"}; it is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new MlflowConfigurationError(`environment variable ${name} (registry.headersEnv) must hold a JSON object whose values are strings`);
  }
  // Header names are case-insensitive: lower-case them so a later authTokenEnv replaces, not doubles, Authorization.
  return Object.fromEntries(Object.entries(value as Record<string, string>).map(([key, v]) => [key.toLowerCase(), v]));
}
