import { describe, expect, it } from 'vitest';
import {
  DISCOVERY_ERROR_DOCS,
  DiscoveryError,
  DiscoveryErrorCode,
  createStaticDiscovery,
  formatHostPort,
  parseHostPort,
  parseWorkerAddresses,
} from '../../coordinator/discovery/index.js';

function thrown(fn: () => unknown): DiscoveryError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DiscoveryError);
    return err as DiscoveryError;
  }
  throw new Error('expected a throw');
}

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:50061', '127.0.0.1', 50061],
    ['worker-0:1', 'worker-0', 1],
    ['Worker-0.Pigrid.svc:65535', 'worker-0.pigrid.svc', 65535],
    ['pigrid_worker_1:50061', 'pigrid_worker_1', 50061],
    ['[::1]:50061', '::1', 50061],
    ['[FE80::1]:7', 'fe80::1', 7],
    ['  localhost:80  ', 'localhost', 80],
  ])('accepts %j', (input, host, port) => {
    expect(parseHostPort(input)).toEqual({ host, port });
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
  ])('rejects %j with INVALID_WORKER_ADDRESS (%s)', (input, rule) => {
    const err = thrown(() => parseHostPort(input));
    expect(err.code).toBe(DiscoveryErrorCode.INVALID_WORKER_ADDRESS);
    expect(err.message).toContain(`"${input}"`);
    expect(err.message).toContain(rule);
  });

  it('formats IPv6 bracketed and everything else bare', () => {
    expect(formatHostPort('::1', 50061)).toBe('[::1]:50061');
    expect(formatHostPort('10.0.0.1', 50061)).toBe('10.0.0.1:50061');
    expect(formatHostPort('worker-0', 50061)).toBe('worker-0:50061');
  });
});

describe('parseWorkerAddresses', () => {
  it('splits a comma list, trims, sorts and de-duplicates', () => {
    expect(parseWorkerAddresses(' b:2 , a:1,[::1]:3,a:1 ')).toEqual(['[::1]:3', 'a:1', 'b:2']);
  });

  it('accepts an array and tolerates one trailing comma in a string', () => {
    expect(parseWorkerAddresses(['h:2', 'h:1'])).toEqual(['h:1', 'h:2']);
    expect(parseWorkerAddresses('h:1,')).toEqual(['h:1']);
  });

  it('treats an empty string or array as no workers', () => {
    expect(parseWorkerAddresses('')).toEqual([]);
    expect(parseWorkerAddresses('   ')).toEqual([]);
    expect(parseWorkerAddresses([])).toEqual([]);
  });

  it('reports every bad entry in one error', () => {
    const err = thrown(() => parseWorkerAddresses('ok:1,nope,,x:99999'));
    expect(err.code).toBe('INVALID_WORKER_ADDRESS');
    expect(err.problems).toHaveLength(3);
    expect(err.message).toContain('entry 2 "nope"');
    expect(err.message).toContain('entry 3 ""');
    expect(err.message).toContain('entry 4 "x:99999"');
  });

  it('returns a frozen set', () => {
    expect(Object.isFrozen(parseWorkerAddresses('a:1'))).toBe(true);
  });
});

describe('createStaticDiscovery', () => {
  it('validates at construction', () => {
    expect(() => createStaticDiscovery('a:1,b')).toThrow(/entry 2 "b": missing ":port"/);
  });

  it('calls onChange once, synchronously, with the whole set', () => {
    const d = createStaticDiscovery(['w2:50061', 'w1:50061']);
    const calls: (readonly string[])[] = [];
    d.start((set) => calls.push(set));
    expect(calls).toEqual([['w1:50061', 'w2:50061']]);
    d.close();
  });

  it('refuses a second start and ignores start after close', () => {
    const d = createStaticDiscovery('w:1');
    d.start(() => {});
    expect(thrown(() => d.start(() => {})).code).toBe('DISCOVERY_ALREADY_STARTED');
    d.close();

    const closed = createStaticDiscovery('w:1');
    closed.close();
    closed.close(); // idempotent
    let called = false;
    closed.start(() => (called = true));
    expect(called).toBe(false);
  });
});

describe('discovery error catalogue', () => {
  it('documents every code', () => {
    for (const code of Object.values(DiscoveryErrorCode)) {
      expect(DISCOVERY_ERROR_DOCS[code]?.length ?? 0, code).toBeGreaterThan(30);
    }
    expect(Object.keys(DISCOVERY_ERROR_DOCS).sort()).toEqual(Object.values(DiscoveryErrorCode).sort());
  });
});
