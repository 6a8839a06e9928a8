/**
 * The Docker engine connection. dockerode reads DOCKER_HOST (default: /var/run/docker.sock);
 * scripts/docker-engine starts an engine there for development and CI.
 */
import Docker from 'dockerode';

export class DockerEngineUnavailable extends Error {
  override readonly name = 'DockerEngineUnavailable';
}

let shared: Docker | undefined;

export function dockerEngine(): Docker {
  shared ??= new Docker();
  return shared;
}

/** Fails with a message that says how to start an engine when none answers. */
export async function checkDockerEngine(docker: Docker = dockerEngine()): Promise<{ version: string }> {
  try {
    const version = await docker.version();
    return { version: version.Version };
  } catch (err) {
    throw new DockerEngineUnavailable(
      `no Docker engine answers at ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'} (${(err as Error).message}); start one with scripts/docker-engine start`,
    );
  }
}

/** True when the engine has the image (a tag or a `repo@digest` it pulled or pushed). */
export async function hasImage(docker: Docker, reference: string): Promise<boolean> {
  try {
    await docker.getImage(reference).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}
