import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K8S_ERROR_CODES } from '../../gateway/k8s/k8s-errors.js';
import { ErrorCode } from '../../shared/errors.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
/** The codes in the first column of docs/errors.md's tables. */
const documented = new Set([...doc.matchAll(/^\| `([A-Z0-9_]+)` +\|/gm)].map((m) => m[1]));

describe('error catalogue (docs/errors.md)', () => {
  it('documents every pigrid error code in a table row', () => {
    expect(Object.values(ErrorCode).filter((code) => !documented.has(code))).toEqual([]);
  });

  it('documents every code of the Kubernetes endpoints', () => {
    expect(K8S_ERROR_CODES.filter((code) => !documented.has(code))).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const known = new Set<string>([...Object.values(ErrorCode), ...K8S_ERROR_CODES]);
    expect([...documented].filter((code) => !known.has(code))).toEqual([]);
  });
});
