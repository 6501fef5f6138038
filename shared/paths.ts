/**
 * Locates files that ship beside the code (proto/, gateway/public/) whether it runs from TypeScript sources
 * (tests) or from dist/ (production).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/** The application root: the nearest ancestor of this file that holds `proto/pigrid/v1`. */
export function appRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'proto', 'pigrid', 'v1'))) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find proto/pigrid/v1 above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
