/**
 * One step of an enrollment: a SOAP request POSTed and its reply read, every problem (network,
 * HTTP status, content type, malformed reply, SOAP fault) turned into a failure of the step's
 * stage with the HTTP status and a reason.
 */
import { EnrollMessageError } from '../../core/enroll/errors.js';
import { describeFault, type SoapFault } from '../../core/enroll/soap-fault.js';
import { parseFault, type SoapReply } from '../../core/enroll/soap.js';
import { exchange, type EnrollAgents, type SoapHttpOptions } from './soap-http.js';

/** Where an enrollment failed. */
export type EnrollStage = 'discovery' | 'policy' | 'enroll' | 'provisioning';

/** An enrollment that failed: where, the HTTP status (0: no answer) and why. */
export interface EnrollFailure {
  readonly ok: false;
  readonly stage: EnrollStage;
  readonly status: number;
  /** The fault's code and text, or the network or HTTP problem. Never holds a secret. */
  readonly reason: string;
  /** The SOAP fault, when the server answered with one. */
  readonly fault?: SoapFault;
}

/** A step's value, or the enrollment's failure. */
export type Step<T> = { readonly ok: true; readonly value: T } | EnrollFailure;

const XML_TYPES = new Set(['application/soap+xml', 'application/xml', 'text/xml']);

/** One enrollment's HTTP context. */
export interface Flow {
  readonly agents: EnrollAgents;
  readonly http: SoapHttpOptions;
  readonly newMessageId: () => string;
}

/** A failure of `stage`. */
export function fail(
  stage: EnrollStage,
  status: number,
  reason: string,
  fault?: SoapFault,
): EnrollFailure {
  return { ok: false, stage, status, reason, ...(fault !== undefined && { fault }) };
}

function faultOf(body: string): SoapFault | undefined {
  try {
    return parseFault(body);
  } catch {
    return undefined;
  }
}

/** POSTs `body` and reads the reply with `parse`; any problem is a failure of `stage`. */
export async function soapStep<T>(
  flow: Flow,
  stage: EnrollStage,
  url: URL,
  body: string,
  parse: (xml: string) => SoapReply<T>,
): Promise<Step<T>> {
  const reply = await exchange(url, 'POST', body, flow.agents, flow.http);
  if (reply.kind === 'error') return fail(stage, 0, reply.reason);
  if (reply.status !== 200) {
    const fault = faultOf(reply.body);
    return fault
      ? fail(stage, reply.status, describeFault(fault), fault)
      : fail(stage, reply.status, `HTTP ${reply.status} from ${url.host}`);
  }
  if (!XML_TYPES.has(reply.mediaType)) {
    return fail(
      stage,
      200,
      `the reply is ${reply.mediaType || 'untyped'}, not application/soap+xml`,
    );
  }
  let parsed: SoapReply<T>;
  try {
    parsed = parse(reply.body);
  } catch (error) {
    if (!(error instanceof EnrollMessageError)) throw error;
    return fail(stage, 200, `malformed reply: ${error.message}`);
  }
  if (parsed.kind === 'fault') return fail(stage, 200, describeFault(parsed.fault), parsed.fault);
  return { ok: true, value: parsed.value };
}

/** An absolute http(s) URL from the server, or a failure of `stage` naming the element. */
export function serverUrl(stage: EnrollStage, what: string, value: string): Step<URL> {
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' || url.protocol === 'http:') return { ok: true, value: url };
  } catch {
    // Reported below.
  }
  return fail(
    stage,
    200,
    `${what}: expected an absolute http(s) URL, got ${JSON.stringify(value.slice(0, 80))}`,
  );
}
