// Copies non-TypeScript files that the built code loads at run time into dist/.
import { cpSync, existsSync } from 'node:fs';
for (const dir of ['gateway/public']) {
  if (existsSync(dir)) cpSync(dir, `dist/${dir}`, { recursive: true });
}
