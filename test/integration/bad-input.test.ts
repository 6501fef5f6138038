/**
 * Bad input gets a clear error and loses nothing: REST 400 with a JSON body naming the field and the rule, gRPC
 * INVALID_ARGUMENT with the same text, nothing stored, and the servers stay up.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalculationsClient } from '../../generated/proto/pigrid/v1/Calculations.js';
import { startCluster, type Cluster } from '../../harness/cluster.js';
import { calculationsClient, unary } from '../../harness/grpc-client.js';
import { stopAll } from '../../harness/processes.js';
import { http, submit, waitDone } from '../../harness/rest.js';

let c: Cluster;
let client: CalculationsClient;

async function storedCount(): Promise<number> {
  const r = await http(`${c.url}/api/calculate?page_size=500`);
  return r.json.calculations.length;
}

beforeAll(async () => {
  c = await startCluster({ workers: 1, coordinatorEnv: { PIGRID_MAX_POINTS: '1000000000000', PIGRID_MAX_CHUNKS: '1000' } });
  client = await calculationsClient(c.grpc);
});
afterAll(async () => {
  client?.close();
  await stopAll();
});

describe('REST refuses bad submissions with 400 naming the field and rule', () => {
  const cases: [string, unknown, string, string, RegExp][] = [
    ['missing points', { mode: 'single' }, 'points', 'INVALID_POINTS', /points is required: an integer from 1 to 1000000000000/],
    ['negative points', { points: -5 }, 'points', 'INVALID_POINTS', /points must be an integer from 1 to 1000000000000; got -5/],
    ['zero points', { points: 0 }, 'points', 'INVALID_POINTS', /from 1 to .*got 0/],
    ['fractional points', { points: 1.5 }, 'points', 'INVALID_POINTS', /points must be a whole JSON number .*got 1\.5/],
    ['too many points', { points: 1_000_000_000_001 }, 'points', 'INVALID_POINTS', /at most|to 1000000000000; got 1000000000001/],
    ['points as a string', { points: '1000' }, 'points', 'INVALID_POINTS', /a string is not a number/],
    ['points as an array', { points: [1] }, 'points', 'INVALID_POINTS', /got an array/],
    ['points beyond 2^53', { points: 1e300 }, 'points', 'INVALID_POINTS', /whole JSON number of at most 9007199254740991/],
    [
      'unknown mode',
      { points: 1000, mode: 'turbo' },
      'mode',
      'INVALID_MODE',
      /mode must be one of "single", "distributed"; got the string "turbo"/,
    ],
    ['mode as a number', { points: 1000, mode: 1 }, 'mode', 'INVALID_MODE', /mode must be one of/],
    ['negative seed', { points: 1000, seed: -1 }, 'seed', 'INVALID_SEED', /seed must be an integer from 0 to 9007199254740991; got -1/],
    ['seed as a string', { points: 1000, seed: '7' }, 'seed', 'INVALID_SEED', /a string is not a number/],
    [
      'chunk too small',
      { points: 1000, chunk_size: 10 },
      'chunk_size',
      'INVALID_CHUNK_SIZE',
      /chunk_size must be an integer from 1000 to 4294967295; got 10/,
    ],
    ['too many chunks', { points: 10_000_000, chunk_size: 1000 }, 'chunk_size', 'TOO_MANY_CHUNKS', /at most 1000 chunks/],
    ['unknown field', { points: 1000, pionts: 5 }, 'pionts', 'UNKNOWN_FIELD', /unknown field "pionts"/],
    ['not an object', [1, 2], 'body', 'INVALID_BODY', /must be a JSON object/],
    ['malformed JSON', '{"points": 10', 'body', 'INVALID_BODY', /not valid JSON/],
  ];
  it.each(cases)('%s', async (_name, body, field, code, message) => {
    const before = await storedCount();
    const r = await http(`${c.url}/api/calculate`, 'POST', body);
    expect(r.status).toBe(400);
    expect(r.json.error.field).toBe(field);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.message).toMatch(message);
    expect(await storedCount()).toBe(before);
  });

  it('refuses a body that is not JSON with a clear error', async () => {
    const r = await http(`${c.url}/api/calculate`, 'POST', 'points=5', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.json.error.message).toMatch(/Content-Type: application\/json/);
  });

  it('answers 404 for an unknown id, on get, cancel and events', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/cancel'],
      ['GET', '/events'],
    ] as const) {
      const r = await http(`${c.url}/api/calculate/no-such-id${path}`, method);
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ code: 'CALCULATION_NOT_FOUND', field: 'id' });
    }
  });

  it('refuses a bad page size and page token', async () => {
    expect((await http(`${c.url}/api/calculate?page_size=0`)).json.error.field).toBe('page_size');
    const r = await http(`${c.url}/api/calculate?page_token=garbage`);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('INVALID_PAGE_TOKEN');
  });

  it('stays up and accepts good input afterwards', async () => {
    const ok = await submit(c.url, { points: 1_000_000, mode: 'single', seed: 3 });
    expect((await waitDone(c.url, ok.id)).status).toBe('completed');
  });
});

describe('gRPC refuses the same input with INVALID_ARGUMENT and the same words', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing points', { mode: 'MODE_SINGLE' }, 'points', /points is required: an integer from 1 to 1000000000000/],
    ['negative points', { points: -5 }, 'points', /points must be an integer from 1 to 1000000000000; got -5/],
    ['too many points', { points: '1000000000001' }, 'points', /from 1 to 1000000000000; got 1000000000001/],
    ['unknown mode number', { points: 1000, mode: 7 }, 'mode', /mode must be one of "single", "distributed"; got 7/],
    [
      'seed beyond 2^53-1',
      { points: 1000, seed: '9007199254740992' },
      'seed',
      /seed must be an integer from 0 to 9007199254740991; got 9007199254740992/,
    ],
    ['chunk too small', { points: 1000, chunkSize: 10 }, 'chunk_size', /chunk_size must be an integer from 1000 to 4294967295; got 10/],
  ];
  it.each(cases)('%s', async (_name, req, field, message) => {
    const before = await storedCount();
    const { error } = await unary((cb) => client.Submit(req, cb));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toMatch(message);
    expect(error?.metadata.get('pigrid-field')[0]).toBe(field);
    expect(await storedCount()).toBe(before);
  });

  it('answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for an empty one', async () => {
    expect((await unary((cb) => client.Get({ id: 'nope' }, cb))).error?.code).toBe(grpc.status.NOT_FOUND);
    expect((await unary((cb) => client.Get({ id: '' }, cb))).error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await unary((cb) => client.List({ pageSize: 501 }, cb))).error?.details).toMatch(/page_size must be an integer from 1 to 500/);
  });

  it('the REST 400 and the gRPC error carry the same message for the same rule', async () => {
    const rest = await http(`${c.url}/api/calculate`, 'POST', { points: 5, chunk_size: 999 });
    const { error } = await unary((cb) => client.Submit({ points: 5, chunkSize: 999 }, cb));
    expect(error?.details).toBe(rest.json.error.message);
  });
});
