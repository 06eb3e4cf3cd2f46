/**
 * A button's JSON value read against its schema, once for every listener: anything unparsable or off-schema
 * is `ACTION_PAYLOAD_INVALID` (a forged or stale click), never a throw.
 */
import type { z } from 'zod';
import { OpsError } from '../../errors.js';

export function parseButtonValue<S extends z.ZodType>(schema: S, rawValue: string | undefined, actionId: string): z.output<S> | OpsError {
  try {
    return schema.parse(JSON.parse(rawValue ?? '')) as z.output<S>;
  } catch {
    return new OpsError('ACTION_PAYLOAD_INVALID', { action_id: actionId });
  }
}
