/**
 * Security headers on every gateway answer (helmet), with a Content-Security-Policy that the dashboard
 * satisfies without 'unsafe-inline': the page's inline <script> and <style> blocks are allowed by their SHA-256
 * hashes, computed from the page as served, so editing the page never needs a policy change. Nothing loads from
 * another origin, nothing may frame the page.
 *
 * helmet's middleware is built once and run in an onRequest hook, first of all hooks (so a 401/403 refusal carries the
 * headers too). @fastify/helmet builds it again on every request, parsing the policy each time: that was ~9 % of the
 * gateway's CPU on a cached GET (docs/performance.md "REST").
 */
import helmet from 'helmet';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** `'sha256-…'` sources of every inline block of a tag in an HTML page. */
export function inlineHashes(html: string, tag: 'script' | 'style'): string[] {
  const re = new RegExp(`<${tag}(?![^>]*\\bsrc=)[^>]*>([\\s\\S]*?)</${tag}>`, 'gi');
  return [...html.matchAll(re)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '', 'utf8')
        .digest('base64')}'`,
  );
}

export function registerSecurityHeaders(app: FastifyInstance, dashboardHtml: string): void {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...inlineHashes(dashboardHtml, 'script')],
        styleSrc: ["'self'", ...inlineHashes(dashboardHtml, 'style')],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The gateway speaks plain HTTP behind an ingress; upgrading a local http://127.0.0.1 page's requests would break it.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (request, reply, done) => headers(request.raw, reply.raw, (err) => done(err as Error | undefined)));
}
