/**
 * Fastify's and Node's own refusals, answered in pigrid's shape `{error: {code, message, field}}` with a catalogued
 * code, never quoting more than a short prefix of what the client sent: a malformed percent-encoding
 * (FST_ERR_BAD_URL), an id longer than the router allows (FST_ERR_MAX_PARAM_LENGTH), bodies that are not JSON, too
 * large, of another type or with a `__proto__` key, and requests the HTTP parser rejects (431, 400).
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../shared/errors.js';
import { HttpError, type ErrorBody } from './http-errors.js';

/** At most this much of a client's input is ever quoted back. */
export const QUOTE_LIMIT = 40;

/** A short, JSON-quoted prefix of client input. */
export function quote(input: string): string {
  return input.length <= QUOTE_LIMIT
    ? JSON.stringify(input)
    : `${JSON.stringify(input.slice(0, QUOTE_LIMIT))}… (${input.length} characters)`;
}

const body = (code: ErrorCode, message: string, field: string | null = null): ErrorBody => ({ error: { code, message, field } });

/**
 * The JSON body parser: JSON.parse, plus a refusal of `__proto__` and `constructor.prototype` keys (which could
 * reach an object's prototype through a later merge). The message says where the JSON broke, not what it said.
 */
export function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, raw, done) => {
    const text = raw as string;
    if (text.length === 0) {
      done(
        HttpError.of(
          400,
          ErrorCode.INVALID_BODY,
          'the body must be a JSON object like {"points": 1000000, "mode": "distributed"}; got an empty body',
          'body',
        ),
        undefined,
      );
      return;
    }
    let forbidden: string | undefined;
    let value: unknown;
    try {
      value = JSON.parse(text, (key, v: unknown) => {
        if (key === '__proto__' || (key === 'constructor' && typeof v === 'object' && v !== null && 'prototype' in v)) forbidden ??= key;
        return v;
      });
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message)?.[1];
      done(
        HttpError.of(400, ErrorCode.INVALID_BODY, `the body is not valid JSON${at ? ` (error at character ${at})` : ''}`, 'body'),
        undefined,
      );
      return;
    }
    if (forbidden) {
      done(
        HttpError.of(
          400,
          ErrorCode.INVALID_BODY,
          `the body must not contain a "${forbidden === '__proto__' ? '__proto__' : 'constructor.prototype'}" key`,
          'body',
        ),
        undefined,
      );
      return;
    }
    done(null, value);
  });
}

/** The answer to a 4xx error Fastify raised itself (content type, size, length). */
export function frameworkRefusal(err: { statusCode?: number; code?: string }, bodyLimit: number): { status: number; body: ErrorBody } {
  const status = err.statusCode ?? 400;
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status, body: body(ErrorCode.INVALID_BODY, 'the body must be JSON: send Content-Type: application/json', 'body') };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status, body: body(ErrorCode.INVALID_BODY, `the body must be at most ${bodyLimit} bytes`, 'body') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status,
        body: body(
          ErrorCode.INVALID_BODY,
          'the body must be a JSON object like {"points": 1000000, "mode": "distributed"}; got an empty body',
          'body',
        ),
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status, body: body(ErrorCode.INVALID_BODY, 'the body is not valid JSON', 'body') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status, body: body(ErrorCode.INVALID_BODY, 'Content-Length does not match the body', 'body') };
    default:
      // Fastify codes name a rule, never client input.
      return { status, body: body(ErrorCode.BAD_REQUEST, `the request was refused (${String(err.code ?? status).slice(0, 40)})`) };
  }
}

/** Fastify's `frameworkErrors` option: errors raised while routing, before any hook. */
export function frameworkErrors(err: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.raw.url ?? '';
  if (err.code === 'FST_ERR_BAD_URL') {
    void reply.code(400).send(body(ErrorCode.INVALID_URL, `the URL path ${quote(path)} has a malformed percent-encoding`));
    return;
  }
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.code(414).send(body(ErrorCode.INVALID_ID, 'a calculation id has at most 100 characters', 'id'));
    return;
  }
  void reply.code(500).send(body(ErrorCode.INTERNAL, `internal error (request ${request.id}; details are in the gateway log)`));
}

/** Node's HTTP parser refused the request (malformed, headers too large): answer in our shape and close. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const payload = JSON.stringify(
    body(
      tooLarge ? ErrorCode.BAD_REQUEST : ErrorCode.BAD_REQUEST,
      tooLarge ? 'the request headers are too large' : 'the HTTP request is malformed',
    ),
  );
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\nConnection: close\r\n\r\n${payload}`,
  );
}
