// Makes the CLI executable after tsc (npx and a linked bin run it directly through its #!/usr/bin/env node line).
import { chmodSync } from 'node:fs';
chmodSync('dist/cli/pigrid.js', 0o755);
