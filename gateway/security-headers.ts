/**
 * Security headers on every gateway answer (helmet), with a Content-Security-Policy that the dashboard
 * satisfies without 'unsafe-inline': the page's inline <script> and <style> blocks are allowed by their SHA-256
 * hashes, computed from the page as served, so editing the page never needs a policy change. Nothing loads from
 * another origin, nothing may frame the page.
 *
 * The headers do not depend on the request, so helmet runs once, at start-up, against a response that only records
 * them ({@link securityHeaders}); an onRequest hook, first of all hooks (so a 401/403 refusal carries the headers too),
 * hands that one object to Fastify's reply. Running helmet's eleven middlewares per request (each a validated
 * `setHeader` on the raw response, which also sends Fastify's own headers down Node's slower `writeHead` path) was
 * 6.9 % of the gateway's busy time on cached GETs; @fastify/helmet also parsed the policy again on every request
 * (docs/performance.md "REST"). A route that hijacks its reply (the event stream) writes {@link FastifyReply.getHeaders} itself;
 * the wire path (gateway/wire-reads.ts) prebuilds them into its header lines.
 */
import helmet, { type HelmetOptions } from 'helmet';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';

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

/** helmet's options: its defaults, with a Content-Security-Policy that allows the dashboard's inline blocks by hash. */
export function helmetOptions(dashboardHtml: string): HelmetOptions {
  return {
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
  };
}

/** The security headers every answer carries, by lower-case name: what helmet sets with {@link helmetOptions}. */
export function securityHeaders(dashboardHtml: string): Readonly<Record<string, string>> {
  const middleware = helmet(helmetOptions(dashboardHtml));
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value;
    },
    // X-Powered-By: Fastify never sets it.
    removeHeader() {},
  };
  let failed: unknown;
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => (failed = err));
  if (failed !== undefined) throw new Error('helmet refused the security header options', { cause: failed });
  return Object.freeze(headers);
}

/** Sends {@link securityHeaders} with every answer of `app`; returns them (the wire path sends them too). */
export function registerSecurityHeaders(app: FastifyInstance, dashboardHtml: string): Readonly<Record<string, string>> {
  const headers = securityHeaders(dashboardHtml);
  // Named: the hooks of GET /api/calculate/:id are listed by name in test/integration/gateway-wire-reads.test.ts.
  app.addHook('onRequest', function sendSecurityHeaders(_request, reply, done) {
    reply.headers(headers);
    done();
  });
  return headers;
}
