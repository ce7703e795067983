/** EVSM emulator containers for the `containers` target: see docs/containers.md. */
export { EvsmEmulatorContainer, StartedEvsmEmulatorContainer, stopAllEvsmContainers, type StopOptions } from './emulator-container.ts';
export { checkContainersReadiness, type ContainersReadiness, type ReadinessOptions } from './readiness.ts';
export { assertNoProjectContainers, listProjectContainers, listProjectVolumes, removeProjectContainers, type ProjectContainer, type Scope } from './cleanup.ts';
export { currentRunId, PROJECT_LABEL, RUN_LABEL } from './labels.ts';
export { parseReadyLine, type ReadyLine } from './ready-line.ts';
export { ensureEvsmImage, type ImageResult } from '../../../docker/build-image.ts';
