import { describe, expect, it } from 'vitest';
import { checkHostPort, createStaticDiscovery, formatHostPort } from '../../coordinator/discovery/index.js';

describe('checkHostPort', () => {
  it.each([
    ['127.0.0.1:50061', '127.0.0.1', 50061],
    ['worker-0:1', 'worker-0', 1],
    ['Worker-0.Pigrid.svc:65535', 'worker-0.pigrid.svc', 65535],
    ['pigrid_worker_1:50061', 'pigrid_worker_1', 50061],
    ['[::1]:50061', '::1', 50061],
    ['[FE80::1]:7', 'fe80::1', 7],
    ['  localhost:80  ', 'localhost', 80],
  ])('accepts %j', (input, host, port) => {
    expect(checkHostPort(input)).toEqual({ host, port });
  });

  it.each([
    ['', 'empty entry'],
    ['localhost', 'missing ":port"'],
    [':50061', 'missing host'],
    ['h:0', 'outside 1..65535'],
    ['h:65536', 'outside 1..65535'],
    ['h:-1', 'not an integer'],
    ['h:1.5', 'not an integer'],
    ['h:', 'not an integer'],
    ['h:abc', 'not an integer'],
    ['::1:50061', 'must be bracketed'],
    ['[::1]', 'missing ":port"'],
    ['[::1:50061', 'unclosed'],
    ['[nope]:1', 'not an IPv6 address'],
    ['bad host:1', 'not a valid host name'],
    ['-bad:1', 'not a valid host name'],
    ['10.0.0.256:1', 'not a valid host name'],
  ])('rejects %j (%s)', (input, rule) => {
    expect(checkHostPort(input)).toEqual({ problem: expect.stringContaining(rule) });
  });

  it('formats IPv6 bracketed and everything else bare', () => {
    expect(formatHostPort('::1', 50061)).toBe('[::1]:50061');
    expect(formatHostPort('10.0.0.1', 50061)).toBe('10.0.0.1:50061');
    expect(formatHostPort('worker-0', 50061)).toBe('worker-0:50061');
  });
});

describe('createStaticDiscovery', () => {
  it('calls onChange once, synchronously, with the whole set sorted, de-duplicated and frozen', () => {
    const d = createStaticDiscovery(['w2:50061', 'w1:50061', 'w2:50061']);
    const calls: (readonly string[])[] = [];
    d.start((set) => calls.push(set));
    expect(calls).toEqual([['w1:50061', 'w2:50061']]);
    expect(Object.isFrozen(calls[0])).toBe(true);
    d.close();
  });

  it('refuses a second start and ignores start after close', () => {
    const d = createStaticDiscovery(['w:1']);
    d.start(() => {});
    expect(() => d.start(() => {})).toThrow(expect.objectContaining({ code: 'INTERNAL', message: 'static discovery already started' }));
    d.close();

    const closed = createStaticDiscovery(['w:1']);
    closed.close();
    closed.close(); // idempotent
    let called = false;
    closed.start(() => (called = true));
    expect(called).toBe(false);
  });
});
