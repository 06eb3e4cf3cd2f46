/** The real demo AutoGen fleet (Python bridge) for integration tests; stopped by its PID. */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { startFleet, type FleetOptions, type LocalFleet } from '../../src/local/fleet.js';

/** The venv python (`AUTOGEN_OPS_PYTHON` is set by the Makefile; default .venv). */
export function fleetPython(): string {
  // Tests may read the environment for their own setup; the product reads it only via src/config.ts.
  const fromEnv = process.env.AUTOGEN_OPS_PYTHON;
  return fromEnv && fromEnv !== '' ? fromEnv : resolve('.venv/bin/python');
}

export function fleetAvailable(): boolean {
  return existsSync(resolve('bridge/src/autogen_ops_bridge/demo')) && existsSync(fleetPython());
}

export async function startTestFleet(opts: Partial<FleetOptions> = {}): Promise<LocalFleet> {
  return startFleet({ python: fleetPython(), token: 'fleet-test-token', ...opts });
}

export type { LocalFleet } from '../../src/local/fleet.js';
