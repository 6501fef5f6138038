/**
 * GET / : a small live dashboard (static HTML + JS in gateway/public) that submits calculations and shows
 * progress, workers and autoscaling through the REST API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { appRoot } from '../../shared/paths.js';

export function registerDashboard(app: FastifyInstance): void {
  const file = join(appRoot(), 'gateway', 'public', 'index.html');
  let html: string | undefined;
  app.get('/', async (_request, reply) => {
    html ??= readFileSync(file, 'utf8');
    return reply.type('text/html; charset=utf-8').send(html);
  });
}
