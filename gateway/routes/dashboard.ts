/**
 * GET / : a small live dashboard (static HTML + JS in gateway/public) that submits calculations and shows
 * progress, workers and autoscaling through the REST API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { appRoot } from '../../shared/paths.js';

/** The dashboard page as served (the security headers hash its inline blocks). */
export function dashboardHtml(): string {
  return readFileSync(join(appRoot(), 'gateway', 'public', 'index.html'), 'utf8');
}

export function registerDashboard(app: FastifyInstance, html: string = dashboardHtml()): void {
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
}
