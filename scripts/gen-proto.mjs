// Regenerates the TypeScript types of proto/pigrid/v1/*.proto into generated/proto.
// The generator writes extension-less relative imports; NodeNext ESM needs ".js",
// so they are rewritten here. Never edit generated/ by hand: run `npm run gen:proto`.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const out = 'generated/proto';
rmSync(out, { recursive: true, force: true });
const protos = readdirSync('proto/pigrid/v1')
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `proto/pigrid/v1/${f}`);
execFileSync(
  process.execPath,
  [
    'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js',
    '--longs=String',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--grpcLib=@grpc/grpc-js',
    `--outDir=${out}`,
    ...protos,
  ],
  { stdio: 'inherit' },
);

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) {
      const src = readFileSync(p, 'utf8');
      writeFileSync(
        p,
        src.replace(/from '(\.{1,2}\/[^']+)'/g, (_m, spec) => `from '${spec}.js'`),
      );
    }
  }
}
walk(out);
