import { describe, expect, it } from 'vitest';

import { parseCpuMillicores, parseGoDurationSeconds, parseMemoryBytes, parseQuantity } from '../../gateway/k8s/quantity.js';

describe('parseCpuMillicores', () => {
  it.each([
    ['250m', 250],
    ['1', 1000],
    ['2.5', 2500],
    ['0.1', 100],
    ['.5', 500],
    ['123456n', 0.123456],
    ['1n', 0.000001],
    ['1500u', 1.5],
    ['1k', 1_000_000],
    ['1e3', 1_000_000],
    ['5e-3', 5],
    ['1E-3', 1],
    ['+250m', 250],
    ['0', 0],
    ['0m', 0],
  ])('%s → %d millicores', (text, expected) => {
    expect(parseCpuMillicores(text)).toBe(expected);
  });

  it('sums of nanocores carry no float noise', () => {
    expect(parseCpuMillicores('100000001n')).toBe(100.000001);
  });
});

describe('parseMemoryBytes', () => {
  it.each([
    ['64Mi', 64 * 2 ** 20],
    ['123456Ki', 123456 * 1024],
    ['1Gi', 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1.1Gi', 1181116007], // 1181116006.4 rounded up, like Quantity.Value()
    ['100M', 100_000_000],
    ['512k', 512_000],
    ['2G', 2_000_000_000],
    ['1T', 1e12],
    ['1e3', 1000],
    ['12e6', 12_000_000],
    ['1500m', 2], // 1.5 bytes rounds up
    ['123', 123],
    ['0', 0],
  ])('%s → %d bytes', (text, expected) => {
    expect(parseMemoryBytes(text)).toBe(expected);
  });
});

describe('parseQuantity', () => {
  it('tells the exa suffix "E" from an exponent "E3"', () => {
    expect(parseQuantity('1E')).toBe(1e18);
    expect(parseQuantity('1E3')).toBe(1000);
    expect(parseQuantity('1Ei')).toBe(2 ** 60);
  });

  it('accepts numbers as they are', () => {
    expect(parseQuantity(42)).toBe(42);
  });

  it.each(['', 'abc', '1.2.3', '10 Mi', '1mi', '1KB', 'Mi', '1e', '--1', '1Ki5', 'NaN', 'Infinity'])('malformed %j → null', (text) => {
    expect(parseQuantity(text)).toBeNull();
    expect(parseCpuMillicores(text)).toBeNull();
    expect(parseMemoryBytes(text)).toBeNull();
  });

  it('missing → null', () => {
    expect(parseQuantity(undefined)).toBeNull();
    expect(parseQuantity(null)).toBeNull();
    expect(parseQuantity(Number.NaN)).toBeNull();
  });
});

describe('parseGoDurationSeconds', () => {
  it.each([
    ['10.015s', 10.015],
    ['30s', 30],
    ['1m0s', 60],
    ['1m30.5s', 90.5],
    ['1h2m3s', 3723],
    ['500ms', 0.5],
    ['0s', 0],
    ['0', 0],
  ])('%s → %d s', (text, expected) => {
    expect(parseGoDurationSeconds(text)).toBe(expected);
  });

  it.each(['', '10', 's', '1x', '1m 0s', undefined])('malformed %j → null', (text) => {
    expect(parseGoDurationSeconds(text)).toBeNull();
  });
});
