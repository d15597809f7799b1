import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/time/clock.js';
import { requestTarget, send, sendJson, type RequestTarget } from './http-util.js';
import { parseJsonObject, type JsonObject } from './json-body.js';
import type { BodyResult } from './read-body.js';

/** How a service writes its error answers: `{"error": message}` JSON, or the message as text. */
export type ErrorFormat = 'json' | 'text';

/** A body read under a route's body policy (an aborted one never reaches a handler). */
export type ReadBody = Exclude<BodyResult, { kind: 'aborted' }>;

/** Answers of one service: each runs `beforeReply` first (durable state commits there). */
export interface Answers {
  readonly send: typeof send;
  readonly sendJson: typeof sendJson;
  /** Writes `message` in the service's {@link ErrorFormat}. */
  sendError(
    res: ServerResponse,
    status: number,
    message: string,
    headers?: Readonly<Record<string, string>>,
    options?: { readonly close?: boolean },
  ): void;
}

/**
 * The answer writers with `beforeReply` run just before any answer is written (durable state
 * commits there, so nothing a client was told happened is lost if the process dies right after).
 * When `beforeReply` throws, the client gets 503 with its message and `Retry-After: 1` instead.
 */
export function answers(format: ErrorFormat, beforeReply?: () => void): Answers {
  const errorAnswer = (
    res: ServerResponse,
    status: number,
    message: string,
    headers: Readonly<Record<string, string>> = {},
    options: { readonly close?: boolean } = {},
  ): void => {
    if (format === 'json') sendJson(res, status, { error: message }, headers, options);
    else send(res, status, { 'content-type': TEXT, ...headers }, message, options);
  };
  if (!beforeReply) return { send, sendJson, sendError: errorAnswer };
  const ready = (res: ServerResponse): boolean => {
    try {
      beforeReply();
      return true;
    } catch (e) {
      errorAnswer(res, 503, (e as Error).message, { 'retry-after': '1' });
      return false;
    }
  };
  return {
    send: (res, ...rest) => void (ready(res) && send(res, ...rest)),
    sendJson: (res, ...rest) => void (ready(res) && sendJson(res, ...rest)),
    sendError: (res, ...rest) => void (ready(res) && errorAnswer(res, ...rest)),
  };
}

const TEXT = 'text/plain; charset=utf-8';

/**
 * Marks a request as I/O in flight on a virtual clock, so a clock that skips time waits for it.
 * A handler that waits on that same clock (a delayed answer) ends it meanwhile: its timer could
 * never come due while the request held time still.
 */
export class InFlight {
  private release: (() => void) | null = null;

  constructor(private readonly clock: Clock) {}

  start(): void {
    if (this.release) return;
    void this.clock.track(
      new Promise<void>((resolve) => {
        this.release = resolve;
      }),
    );
  }

  end(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }
}

const NO_PARAMS: Readonly<Record<string, string | undefined>> = Object.freeze({});
const EMPTY = Buffer.alloc(0);

/**
 * One request being served: what a route handler gets. Every answer it writes goes through the
 * service's {@link Answers} (so `beforeReply` runs first); a handler throws an `HttpError` to
 * answer an error.
 */
export class Exchange {
  readonly method: string;
  readonly target: RequestTarget;
  /** The route's path parameters, percent-decoded. */
  params: Readonly<Record<string, string | undefined>> = NO_PARAMS;
  /** The body, when the route declares one (see `BodyPolicy`); null otherwise. */
  body: ReadBody | null = null;
  /** Holds a virtual clock still while the request is served (null on the system clock). */
  readonly inFlight: InFlight | null;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly out: Answers,
    clock: Clock | null,
  ) {
    this.method = req.method ?? 'GET';
    this.target = requestTarget(req.url);
    // Only a virtual clock waits for I/O; on the system clock tracking would be pure cost.
    this.inFlight = clock?.mode === 'virtual' ? new InFlight(clock) : null;
  }

  /** The body's bytes (empty without one; a route sees an oversized body only if it asked to). */
  get bytes(): Buffer {
    return this.body?.kind === 'ok' ? this.body.body : EMPTY;
  }

  /** The body as a JSON object (an empty body is `{}`); a 400 `HttpError` otherwise. */
  json(): JsonObject {
    return parseJsonObject(this.bytes);
  }

  /** The answer is out, or its client left. */
  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed || this.req.socket.destroyed;
  }

  send(
    status: number,
    headers: Readonly<Record<string, string>>,
    body: string,
    options?: { readonly close?: boolean },
  ): void {
    this.out.send(this.res, status, headers, body, options);
  }

  sendJson(
    status: number,
    body: unknown,
    headers?: Readonly<Record<string, string>>,
    options?: { readonly close?: boolean },
  ): void {
    this.out.sendJson(this.res, status, body, headers, options);
  }

  sendError(
    status: number,
    message: string,
    headers?: Readonly<Record<string, string>>,
    options?: { readonly close?: boolean },
  ): void {
    this.out.sendError(this.res, status, message, headers, options);
  }
}
