/**
 * Label-based clean-up: finds and removes the project's containers and volumes with
 * `docker … --filter label=…`, so it works across processes and after crashes, which the
 * builder's own stop() cannot cover. Ryuk would do this, but cannot run here (no registry).
 */
import { docker, runDocker } from '../../../docker/docker-cli.ts';
import { DEVICE_LABEL, OWNED_VOLUME_LABEL, PROJECT_LABEL, RUN_LABEL } from './labels.ts';

export interface ProjectContainer {
  id: string;
  name: string;
  status: string;
  runId: string;
  device: string;
}

export interface Scope {
  /** only this run's resources; default: every resource of the project */
  runId?: string;
}

function filters(scope: Scope): string[] {
  return ['--filter', `label=${PROJECT_LABEL}=1`, ...(scope.runId ? ['--filter', `label=${RUN_LABEL}=${scope.runId}`] : [])];
}

export async function listProjectContainers(scope: Scope = {}): Promise<ProjectContainer[]> {
  const format = `{{.ID}}\t{{.Names}}\t{{.Status}}\t{{.Label "${RUN_LABEL}"}}\t{{.Label "${DEVICE_LABEL}"}}`;
  const out = await docker(['ps', '-a', '--no-trunc', ...filters(scope), '--format', format]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, name, status, runId, device] = line.split('\t');
      return { id, name, status, runId, device };
    });
}

/** Volumes in scope; `ownedOnly`: just those the builder created itself. */
export async function listProjectVolumes(scope: Scope & { ownedOnly?: boolean } = {}): Promise<string[]> {
  const owned = scope.ownedOnly ? ['--filter', `label=${OWNED_VOLUME_LABEL}=1`] : [];
  const out = await docker(['volume', 'ls', '-q', ...filters(scope), ...owned]);
  return out.split('\n').filter(Boolean);
}

/**
 * Force-removes the containers in scope, then the volumes the builder created itself.
 * Volumes a caller named (withDataVolume) are kept unless `volumes: 'all'`: they may hold
 * state the caller wants to start again from.
 */
export async function removeProjectContainers(scope: Scope & { volumes?: 'owned' | 'all' } = {}): Promise<{ containers: number; volumes: number }> {
  const containers = await listProjectContainers(scope);
  if (containers.length) await runDocker(['rm', '-f', '-v', ...containers.map((c) => c.id)]);
  const volumes = await listProjectVolumes({ ...scope, ownedOnly: scope.volumes !== 'all' });
  if (volumes.length) await runDocker(['volume', 'rm', '-f', ...volumes]);
  return { containers: containers.length, volumes: volumes.length };
}

/** Throws, naming each one, when a container of the project (in scope) still exists. */
export async function assertNoProjectContainers(scope: Scope = {}): Promise<void> {
  const left = await listProjectContainers(scope);
  if (left.length) {
    const names = left.map((c) => `${c.name} (${c.device || '?'}, run ${c.runId || '?'}, ${c.status})`).join('; ');
    throw new Error(`${left.length} evsm-lab container(s) left behind: ${names}`);
  }
}
