/**
 * The alert intake's OpenAPI 3.1 document, generated from the table of alert formats the intake validates
 * with (`sources.ts`: each route, its summary and its request schema) and the answers `server.ts` gives, so the document cannot drift from
 * the code. The committed `docs/intake-openapi.json` is this output (checked by test/intake/openapi.test.ts,
 * which also runs schemathesis against a live intake):
 *
 *   npx tsx src/intake/openapi.ts > docs/intake-openapi.json
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ERRORS } from '../errors.js';
import { ALERT_ROUTES } from './sources.js';

type Json = Record<string, unknown>;

/** A request body's JSON schema (input side: fields with defaults are optional). Date-times keep their
 * `format` only: zod's equivalent regex adds nothing a generator needs. */
function requestSchema(schema: z.ZodType): Json {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  delete out.$schema;
  const strip = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(strip);
    else if (v && typeof v === 'object') {
      const o = v as Json;
      if (o.format === 'date-time' && typeof o.pattern === 'string') delete o.pattern;
      // the generic alert's refinement (zod cannot express it): something must identify the alert
      const props = o.properties as Json | undefined;
      if (props && 'title' in props && 'fingerprint' in props && 'labels' in props && 'id' in props) {
        o.anyOf = [{ required: ['title'] }, { required: ['id'] }, { required: ['fingerprint'] }, { required: ['labels'], properties: { labels: { minProperties: 1 } } }];
      }
      Object.values(o).forEach(strip);
    }
  };
  strip(out);
  return out;
}

const json = (ref: string): Json => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });

/** A refusal: the codes it may carry (messages and hints in docs/errors.md). */
function errorResponse(codes: readonly (keyof typeof ERRORS)[]): Json {
  return { description: `Refused: ${codes.map((c) => `\`${c}\``).join(', ')} (docs/errors.md).`, content: json('ErrorResponse') };
}

function alertOperation(summary: string, body: string): Json {
  return {
    summary,
    security: [{ bearer: [] }, { hmac: [] }],
    requestBody: { required: true, content: json(body) },
    responses: {
      202: { description: 'Every alert is queued (in Redis) under its content-derived id.', content: json('Accepted') },
      400: errorResponse(['INTAKE_BODY_INVALID']),
      401: errorResponse(['INTAKE_UNAUTHORIZED', 'INTAKE_SIGNATURE_INVALID', 'INTAKE_SIGNATURE_EXPIRED']),
      413: errorResponse(['INTAKE_BODY_TOO_LARGE']),
      415: errorResponse(['INTAKE_MEDIA_TYPE']),
      422: errorResponse(['INTAKE_PAYLOAD_INVALID']),
      503: { ...errorResponse(['QUEUE_UNAVAILABLE']), headers: { 'Retry-After': { schema: { type: 'string' } } } },
    },
  };
}

export function intakeOpenApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'AutoGen Ops alert intake',
      version: '1',
      description: 'Alert webhooks of the bot (docs/alerting.md). Sources authenticate with a bearer token or an HMAC signature (X-Signature-256 over `<timestamp>.<body>` with X-Signature-Timestamp).',
    },
    paths: {
      ...Object.fromEntries(ALERT_ROUTES.map((r) => [r.route, { post: alertOperation(r.summary, r.schemaName) }])),
      '/healthz': {
        get: {
          summary: 'Liveness of the intake and its Redis',
          responses: {
            200: { description: 'Redis answers.', content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } } } } },
            503: { description: 'Redis does not answer.', content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { const: 'unavailable' }, redis: { type: 'string' } } } } } },
          },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: Redis answers a PING and the alert queue can be read',
          responses: {
            200: { description: 'Ready.', content: { 'application/json': { schema: { type: 'object', required: ['status', 'checks'], properties: { status: { const: 'ready' }, checks: { type: 'object' } } } } } },
            503: {
              description: 'Not ready (Retry-After set); `error.code` is NOT_READY_REDIS or NOT_READY_QUEUES.',
              content: { 'application/json': { schema: { type: 'object', required: ['status', 'checks', 'reason', 'error'], properties: { status: { const: 'not_ready' }, checks: { type: 'object' }, reason: { type: 'string' }, error: { type: 'object' } } } } },
            },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        hmac: { type: 'apiKey', in: 'header', name: 'X-Signature-256' },
      },
      schemas: {
        ...Object.fromEntries(ALERT_ROUTES.map((r) => [r.schemaName, requestSchema(r.schema)])),
        Accepted: {
          type: 'object',
          required: ['status', 'alerts', 'truncated', 'reconcile'],
          properties: { status: { const: 'accepted' }, alerts: { type: 'integer', minimum: 0 }, truncated: { type: 'integer', minimum: 0 }, reconcile: { type: 'boolean' } },
          additionalProperties: false,
        },
        ErrorResponse: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message', 'hint', 'details'],
              properties: { code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]+$' }, message: { type: 'string' }, hint: { type: 'string' }, details: { type: 'object' } },
            },
          },
        },
      },
    },
  };
}

export function renderIntakeOpenApi(): string {
  return `${JSON.stringify(intakeOpenApiDocument(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.stdout.write(renderIntakeOpenApi());
