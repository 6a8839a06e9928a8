/**
 * Image registry credentials come from the worker's environment, named by the definition
 * (`usernameEnv`, `passwordEnv`): the secrets never enter the definition or workflow history.
 */
import type { RegistryCredentials } from './image-registry-client.js';

export class RegistryCredentialsError extends Error {
  override readonly name = 'RegistryCredentialsError';
}

/** Both variables set: credentials; neither: anonymous (undefined); only one: an error naming the other. */
export function registryCredentials(names: { usernameEnv: string; passwordEnv: string }, env: NodeJS.ProcessEnv = process.env): RegistryCredentials | undefined {
  const username = env[names.usernameEnv];
  const password = env[names.passwordEnv];
  if (!username && !password) return undefined;
  if (!username || !password) {
    const missing = username ? names.passwordEnv : names.usernameEnv;
    throw new RegistryCredentialsError(`environment variable ${missing} is not set in the worker's environment (the other registry credential is)`);
  }
  return { username, password };
}

/** The `X-Registry-Auth` body the engine wants; `{}` for anonymous (the engine answers 400 without one). */
export function engineAuthConfig(credentials: RegistryCredentials | undefined, serverAddress: string): Record<string, string> {
  return credentials ? { username: credentials.username, password: credentials.password, serveraddress: serverAddress } : {};
}
