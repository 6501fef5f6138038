// Removes dist/ so a build never runs stale files left from renamed sources.
import { rmSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
