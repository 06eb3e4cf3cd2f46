/**
 * The bot's one model of the bridge's answers (`src/runtime/schemas.ts`) follows the bridge's own document
 * (`bridge/openapi.json`, generated from its pydantic models and compared with what it serves by
 * `bridge/tests/test_openapi_contract.py`). Each zod schema is turned into JSON Schema (`z.toJSONSchema`)
 * and compared with the OpenAPI component of the same name: the same field names; the same kind of value
 * per field (string, number, boolean, array, map, enumeration values, which component); null accepted
 * wherever the bridge may send it; nothing required that the bridge does not promise; unknown fields let
 * through. A field added, removed or renamed on either side fails here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BRIDGE_ANSWERS } from '../../src/runtime/schemas.js';

type Json = Record<string, unknown>;

const DOC = JSON.parse(readFileSync(resolve('bridge/openapi.json'), 'utf8')) as { paths: Json; components: { schemas: Record<string, Json> } };
const REF = '#/components/schemas/';

function modelSchemas(): Record<string, Json> {
  return (z.toJSONSchema(BRIDGE_ANSWERS, { io: 'input', uri: (id) => `${REF}${id}` }) as { schemas: Record<string, Json> }).schemas;
}

/** Components the bridge answers with (any status of any path), and every component they use. */
function answerComponents(doc: typeof DOC): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string' && x.startsWith(REF)) {
        const name = x.slice(REF.length);
        if (!found.has(name)) {
          found.add(name);
          walk(doc.components.schemas[name]);
        }
      } else walk(x);
    }
  };
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops as Json)) walk((op as Json).responses);
  }
  return [...found].sort();
}

/** A value's kind, nulls aside. */
type Kind =
  | { k: 'ref'; name: string }
  | { k: 'string' | 'number' | 'integer' | 'boolean' | 'any' }
  | { k: 'enum'; values: string[] }
  | { k: 'array'; items: Shape }
  | { k: 'map'; values: Shape }
  | { k: 'other'; text: string };
interface Shape { kind: Kind; nullable: boolean }

function shapeOf(s: Json): Shape {
  if (typeof s.$ref === 'string') return { kind: { k: 'ref', name: s.$ref.slice(s.$ref.lastIndexOf('/') + 1) }, nullable: false };
  const branches = Array.isArray(s.anyOf) ? (s.anyOf as Json[]).map(shapeOf) : null;
  if (branches) {
    const nullable = branches.some((b) => b.nullable || (b.kind.k === 'other' && b.kind.text === 'null'));
    const kinds = branches.filter((b) => !(b.kind.k === 'other' && b.kind.text === 'null')).map((b) => b.kind);
    // The model's open enumeration: its values, or any string.
    const enums = kinds.filter((k) => k.k === 'enum');
    if (enums.length === 1 && kinds.length === 2 && kinds.some((k) => k.k === 'string')) return { kind: enums[0]!, nullable };
    if (kinds.length === 1) return { kind: kinds[0]!, nullable };
    return { kind: { k: 'other', text: JSON.stringify(kinds) }, nullable };
  }
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  const nullable = types.includes('null');
  const type = types.filter((t) => t !== 'null');
  if (Array.isArray(s.enum)) return { kind: { k: 'enum', values: (s.enum as unknown[]).map(String).sort() }, nullable };
  if (s.const !== undefined) return { kind: { k: 'enum', values: [String(s.const)] }, nullable };
  if (type.length === 0 && !s.properties) return { kind: type.length === 0 && nullable ? { k: 'other', text: 'null' } : { k: 'any' }, nullable: false };
  if (type.length > 1) return { kind: { k: 'other', text: type.join('|') }, nullable };
  const t = type[0];
  if (t === 'array') return { kind: { k: 'array', items: shapeOf((s.items ?? {}) as Json) }, nullable };
  if (t === 'object') {
    const ap = s.additionalProperties;
    const values = ap === true || ap === undefined ? { kind: { k: 'any' as const }, nullable: false } : shapeOf(ap as Json);
    return { kind: s.properties ? { k: 'other', text: 'inline object' } : { k: 'map', values }, nullable };
  }
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') return { kind: { k: t }, nullable };
  return { kind: { k: 'other', text: String(t) }, nullable };
}

function describeKind(k: Kind): string {
  switch (k.k) {
    case 'ref': return k.name;
    case 'enum': return `enum [${k.values.join(', ')}]`;
    case 'array': return `array of ${describeKind(k.items.kind)}`;
    case 'map': return `map of ${describeKind(k.values.kind)}`;
    case 'other': return k.text;
    default: return k.k;
  }
}

/** Differences between the bridge's value (`doc`) and the model's (`model`) at `at`; empty when the model reads it. */
function compareShapes(at: string, doc: Shape, model: Shape): string[] {
  const problems: string[] = [];
  if (doc.nullable && !model.nullable) problems.push(`${at}: the bridge may send null, the model refuses it`);
  const d = doc.kind;
  const m = model.kind;
  if (d.k === 'array' && m.k === 'array') return [...problems, ...compareShapes(`${at}[]`, d.items, m.items)];
  if (d.k === 'map' && m.k === 'map') return [...problems, ...compareShapes(`${at}{}`, d.values, m.values)];
  // A JSON integer is a number to the model.
  const same = describeKind(d) === describeKind(m) || (d.k === 'integer' && m.k === 'number');
  if (!same) problems.push(`${at}: the bridge sends ${describeKind(d)}, the model reads ${describeKind(m)}`);
  return problems;
}

/** Differences between a component of the bridge's document and the model's schema of the same name. */
function compareComponent(name: string, doc: Json, model: Json | undefined): string[] {
  if (!model) return [`${name}: in bridge/openapi.json, not in the model (src/runtime/schemas.ts)`];
  const problems: string[] = [];
  const dProps = (doc.properties ?? {}) as Record<string, Json>;
  const mProps = (model.properties ?? {}) as Record<string, Json>;
  const dRequired = new Set((doc.required ?? []) as string[]);
  for (const f of Object.keys(dProps)) if (!(f in mProps)) problems.push(`${name}.${f}: in bridge/openapi.json, not in the model`);
  for (const f of Object.keys(mProps)) if (!(f in dProps)) problems.push(`${name}.${f}: in the model, not in bridge/openapi.json`);
  for (const f of (model.required ?? []) as string[]) {
    if (!dRequired.has(f)) problems.push(`${name}.${f}: required by the model, but the bridge may leave it out`);
  }
  for (const [f, d] of Object.entries(dProps)) {
    const m = mProps[f];
    if (m) problems.push(...compareShapes(`${name}.${f}`, shapeOf(d), shapeOf(m)));
  }
  const ap = model.additionalProperties;
  if (!(ap && typeof ap === 'object' && Object.keys(ap).length === 0)) {
    problems.push(`${name}: the model must let unknown fields through (z.looseObject), for a newer bridge`);
  }
  return problems;
}

function drift(doc: typeof DOC, model: Record<string, Json>): string[] {
  const answers = answerComponents(doc);
  const problems = answers.flatMap((name) => compareComponent(name, doc.components.schemas[name]!, model[name]));
  for (const name of Object.keys(model)) {
    if (!answers.includes(name)) problems.push(`${name}: in the model, but no answer of bridge/openapi.json uses such a component`);
  }
  return problems;
}

describe('the bridge answers model (src/runtime/schemas.ts) follows bridge/openapi.json', () => {
  it('every answer of the document is modelled, field by field, and nothing else', () => {
    const model = modelSchemas();
    const answers = answerComponents(DOC);
    // Not vacuous: the document's answers are there and the model has a schema for each.
    expect(answers).toEqual(expect.arrayContaining(['AgentDetail', 'AgentSummary', 'RuntimeInfo', 'MessageRecordOut', 'Snapshot', 'ActionResult', 'ErrorResponse']));
    expect(Object.keys(model).sort()).toEqual(answers);
    expect(drift(DOC, model)).toEqual([]);
  });

  it('notices a field added to or removed from an answer of the document', () => {
    const model = modelSchemas();
    const doc = structuredClone(DOC);
    const agent = doc.components.schemas.AgentSummary as { properties: Record<string, Json>; required: string[] };
    agent.properties.owner_team = { type: 'string' };
    delete agent.properties.waiting;
    agent.required = agent.required.filter((f) => f !== 'type');
    agent.properties.role = { type: 'string', enum: ['agent', 'participant', 'manager', 'observer'] };
    expect(drift(doc, model)).toEqual([
      'AgentSummary.owner_team: in bridge/openapi.json, not in the model',
      'AgentSummary.waiting: in the model, not in bridge/openapi.json',
      'AgentSummary.type: required by the model, but the bridge may leave it out',
      'AgentSummary.role: the bridge sends enum [agent, manager, observer, participant], the model reads enum [agent, manager, participant]',
    ]);
  });

  it('notices a field added to, removed from or retyped in the model', () => {
    const model = structuredClone(modelSchemas());
    const runtime = model.RuntimeInfo as { properties: Record<string, Json> };
    delete runtime.properties.queue_depth;
    runtime.properties.queue_length = { type: 'number' };
    runtime.properties.name = { type: 'number' };
    (model.Health as { required?: string[] }).required = ['status'];
    const message = model.MessageRecordOut as { properties: Record<string, Json> };
    message.properties.outcome = { type: 'string', enum: ['ok', 'error'] };
    message.properties.trace_id = { type: 'string' };
    expect(drift(DOC, model)).toEqual([
      'Health.status: required by the model, but the bridge may leave it out',
      'MessageRecordOut.outcome: the bridge sends enum [error, held, ok, pending, refused], the model reads enum [error, ok]',
      'MessageRecordOut.trace_id: the bridge may send null, the model refuses it',
      'RuntimeInfo.queue_depth: in bridge/openapi.json, not in the model',
      'RuntimeInfo.queue_length: in the model, not in bridge/openapi.json',
      'RuntimeInfo.name: the bridge sends string, the model reads number',
    ]);
  });
});
