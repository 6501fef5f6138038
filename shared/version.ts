/** The pigrid version, from package.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from './paths.js';

export const VERSION: string = (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
