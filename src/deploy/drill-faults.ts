/**
 * The definition's drill faults (`deploy.faults`) as a model server takes them: `mlops serve` flags
 * (local processes, Kubernetes pods) or the serving image's environment (containers). One place,
 * so a new fault field reaches every target.
 */
import { durationToMs } from '../spec/duration.js';
import type { DeployOptions } from './deploy-target.js';

type Faults = DeployOptions['faults'];

/** Fault name → value in the server's units (ms, share); absent faults left out. */
function faultValues(faults: Faults): Array<[flag: string, env: string, value: string]> {
  if (!faults) return [];
  const values: Array<[string, string, string]> = [];
  if (faults.errorRate) values.push(['--fault-error-rate', 'MLOPS_FAULT_ERROR_RATE', String(faults.errorRate)]);
  if (faults.addedLatencyMs) values.push(['--fault-latency-ms', 'MLOPS_FAULT_LATENCY_MS', String(faults.addedLatencyMs)]);
  if (faults.duration) values.push(['--fault-duration-ms', 'MLOPS_FAULT_DURATION_MS', String(durationToMs(faults.duration))]);
  if (faults.flap) values.push(['--fault-flap-ms', 'MLOPS_FAULT_FLAP_MS', `${durationToMs(faults.flap.on)}/${durationToMs(faults.flap.off)}`]);
  return values;
}

/** `mlops serve` flags, e.g. ['--fault-error-rate', '0.1', '--fault-flap-ms', '3000/2000']. */
export function faultServeArgs(faults: Faults): string[] {
  return faultValues(faults).flatMap(([flag, , value]) => [flag, value]);
}

/** The serving image's environment, e.g. ['MLOPS_FAULT_ERROR_RATE=0.1']. */
export function faultEnv(faults: Faults): string[] {
  return faultValues(faults).map(([, name, value]) => `${name}=${value}`);
}
