/**
 * Every answer of the gateway is in pigrid's error shape with a catalogued code, including the refusals Fastify and
 * Node's HTTP parser make on their own, and none quotes more than a short prefix of what the client sent.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../gateway/app.js';
import type { CoordinatorClient } from '../../gateway/coordinator-client.js';
import { createKubeReader } from '../../gateway/k8s/kube-reader.js';
import { ErrorCode } from '../../shared/errors.js';

const CODES = new Set<string>(Object.values(ErrorCode));
const unavailable = async () => {
  throw Object.assign(new Error('down'), { code: 14, details: 'down', metadata: { get: () => [] } });
};
const coordinator = {
  submit: unavailable,
  get: unavailable,
  cancel: unavailable,
  list: unavailable,
  clusterStatus: unavailable,
  watch: () => () => {},
  close: () => {},
} as unknown as CoordinatorClient;

let app: FastifyInstance;
let base: string;
let port: number;

beforeAll(async () => {
  app = buildApp({ coordinator, kube: await createKubeReader({ env: {} }) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await app?.close();
});

/** A raw HTTP exchange (what fetch would refuse to send). */
function raw(request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
    socket.on('error', reject);
  });
}

function expectOurShape(status: number, body: string, expected: { status: number; code: string }): void {
  expect(status, body).toBe(expected.status);
  const json = JSON.parse(body);
  expect(Object.keys(json)).toEqual(['error']);
  expect(CODES.has(json.error.code), json.error.code).toBe(true);
  expect(json.error.code).toBe(expected.code);
  expect(typeof json.error.message).toBe('string');
  expect(body.length).toBeLessThan(400);
}

const LONG = 'x'.repeat(10_000);

describe('framework refusals in our shape', () => {
  const cases: [string, () => Promise<{ status: number; body: string }>, { status: number; code: string }][] = [
    [
      'an id longer than 100 characters (was FST_ERR_MAX_PARAM_LENGTH echoing 10 KB)',
      () => fetchText(`/api/calculate/${LONG}`),
      { status: 414, code: 'INVALID_ID' },
    ],
    [
      'a malformed percent-encoding (was FST_ERR_BAD_URL)',
      () => fetchText('/api/calculate/%E0%A4%A'),
      { status: 400, code: 'INVALID_URL' },
    ],
    [
      'a body with a __proto__ key (was "not valid JSON")',
      () => post('{"points": 1000000, "__proto__": {"polluted": true}}'),
      { status: 400, code: 'INVALID_BODY' },
    ],
    [
      'a constructor.prototype key',
      () => post('{"points": 1000000, "constructor": {"prototype": {"x": 1}}}'),
      { status: 400, code: 'INVALID_BODY' },
    ],
    ['10 KB of broken JSON', () => post(`{"points": ${LONG}`), { status: 400, code: 'INVALID_BODY' }],
    ['an empty JSON body', () => post(''), { status: 400, code: 'INVALID_BODY' }],
    ['another content type', () => post('points=1', 'application/x-www-form-urlencoded'), { status: 415, code: 'INVALID_BODY' }],
    ['a body over 16 KiB', () => post(JSON.stringify({ points: 1, pad: 'x'.repeat(20_000) })), { status: 413, code: 'INVALID_BODY' }],
    ['an unknown 10 KB path', () => fetchText(`/${LONG}`), { status: 404, code: 'NOT_FOUND' }],
    ['an unreachable coordinator', () => fetchText('/api/calculate/abc'), { status: 503, code: 'COORDINATOR_UNAVAILABLE' }],
    [
      'a request line the HTTP parser rejects',
      () => raw('GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n'),
      { status: 400, code: 'BAD_REQUEST' },
    ],
    [
      'headers larger than the parser allows',
      () => raw(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`),
      { status: 431, code: 'BAD_REQUEST' },
    ],
  ];
  for (const [what, send, expected] of cases) {
    it(`answers ${what} with ${expected.status} ${expected.code}`, async () => {
      const { status, body } = await send();
      expectOurShape(status, body, expected);
      expect(body).not.toContain('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
      expect(body).not.toContain('FST_');
    });
  }

  it('names the forbidden key, and says where broken JSON broke without quoting it', async () => {
    expect(JSON.parse((await post('{"__proto__": {}}')).body).error.message).toBe('the body must not contain a "__proto__" key');
    expect(JSON.parse((await post('{"points": nope}')).body).error.message).toMatch(
      /^the body is not valid JSON( \(error at character \d+\))?$/,
    );
  });
});

async function fetchText(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.text() };
}

async function post(body: string, type = 'application/json'): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}/api/calculate`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, body: await res.text() };
}
