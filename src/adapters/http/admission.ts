import type { IncomingMessage } from 'node:http';
import { HttpError, type RequestTarget } from './http-util.js';

/**
 * One check of the admission step: every request passes each check of its service before it is
 * routed. A check throws an {@link HttpError} to refuse the request (answered in the service's
 * error format, through the one error path).
 *
 * Every service runs these, then the access checks of its policy (`access.ts`: which names it
 * answers to, which pages may drive it, which routes need a token), so that every route of every
 * server gets them.
 */
export type AdmissionCheck = (req: IncomingMessage, target: RequestTarget) => void;

/**
 * HTTP/1.1 requires a Host header (RFC 9112 §3.2). Node would answer its own bare 400; this one
 * is answered like every other error, in the service's format.
 */
const hostHeaderRequired: AdmissionCheck = (req) => {
  if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && req.headers.host === undefined)
    throw new HttpError(400, 'the Host header is missing (required by HTTP/1.1)');
};

/** The checks a service runs unless given others. */
export const DEFAULT_ADMISSION: readonly AdmissionCheck[] = [hostHeaderRequired];
