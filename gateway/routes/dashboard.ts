/**
 * GET / : the live dashboard (gateway/public: index.html, app.js, app.css) and the uPlot chart library it uses,
 * served from node_modules (MIT licence, no build step). Everything is a same-origin file, so the page runs under a
 * strict Content-Security-Policy (script-src 'self'; no inline script or style).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { appRoot } from '../../shared/paths.js';
import { dashboardAssetSchema } from '../api-schemas.js';

interface Asset {
  readonly file: () => string;
  readonly type: string;
}

const require = createRequire(import.meta.url);
const uplotDist = () => join(dirname(require.resolve('uplot/package.json')), 'dist');
const publicDir = () => join(appRoot(), 'gateway', 'public');

/** URL path → file and content type. */
export const DASHBOARD_ASSETS: Readonly<Record<string, Asset>> = {
  '/': { file: () => join(publicDir(), 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: () => join(publicDir(), 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: () => join(publicDir(), 'app.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uplot/uPlot.iife.min.js': { file: () => join(uplotDist(), 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uplot/uPlot.min.css': { file: () => join(uplotDist(), 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export function registerDashboard(app: FastifyInstance): void {
  for (const [path, asset] of Object.entries(DASHBOARD_ASSETS)) {
    let body: string | undefined;
    app.get(path, { schema: dashboardAssetSchema(path, asset.type) }, async (_request, reply) => {
      body ??= readFileSync(asset.file(), 'utf8');
      // The page and its script change with the app; the library only with its version.
      const cache = path.startsWith('/vendor/') ? 'public, max-age=86400' : 'no-cache';
      return reply.type(asset.type).header('cache-control', cache).header('x-content-type-options', 'nosniff').send(body);
    });
  }
}

/** The dashboard page as served (the security headers allow its inline blocks, if any, by hash). */
export function dashboardHtml(): string {
  return readFileSync(DASHBOARD_ASSETS['/'].file(), 'utf8');
}
