/**
 * An independent MS-MDE2 enrollment server for tests, written from the specifications (MS-MDE2
 * §3.1–§3.4 and its samples; "On-premises authentication device enrollment", "Federated
 * authentication device enrollment") with its own XML templates and its own parsing
 * (fast-xml-parser directly): nothing is shared with the project's enrollment code, so each side
 * checks the other.
 *
 * HTTPS on 127.0.0.1 with a CA made for the test. Routes: GET/POST `/EnrollmentServer/Discovery.svc`,
 * POST `/EnrollmentServer/Policy.svc` (MS-XCEP), POST `/EnrollmentServer/Enrollment.svc`
 * (MS-WSTEP). It checks the WS-Addressing header, the credentials (UsernameToken or
 * BinarySecurityToken), the RequestSecurityToken's token types and context, verifies the PKCS#10
 * request and signs a device certificate with its CA. Faults can be injected per stage.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ACTIONS,
  checkHeader,
  discoverResponse,
  enrollResponse,
  envelope,
  faultXml,
  parser,
  policiesResponse,
  Refusal,
  type State,
} from './spec-enroll-messages.js';
import { makeTestPki } from './spec-enroll-pki.js';

/** An enrollment stage the server can be told to fail. */
export type SpecStage = 'discovery' | 'policy' | 'enroll';

/** A fault to answer a stage with: a SOAP fault (`s:<subcode>`), or a bare HTTP error. */
export type StageFault =
  | { readonly subcode: string; readonly reason?: string; readonly httpStatus?: number }
  | { readonly plainHttpStatus: number };

/** How the server behaves (mutable between requests through `server.options`). */
export interface SpecEnrollServerOptions {
  authPolicy?: 'OnPremise' | 'Federated';
  /** OnPremise accounts: user → password. */
  users?: Readonly<Record<string, string>>;
  /** Federated tokens accepted (the token itself; the client sends it base64). */
  tokens?: readonly string[];
  faults?: Partial<Record<SpecStage, StageFault>>;
  /** Status of the discovery GET (default 200). */
  probeStatus?: number;
  /** Name a policy service in discovery (default true). */
  policyService?: boolean;
  minimalKeyLength?: number;
  /** The policy's hash OID (default SHA-256, as Fleet); null: a nil hashAlgorithmOIDReference. */
  hashOid?: string | null;
  providerId?: string;
  managementUrl?: string;
  enrollmentVersion?: string;
  /** Rewrites the provisioning document before it is sent (to test a device's checks). */
  tamper?: (xml: string) => string;
}

/** A request the server received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A device certificate the server issued. */
export interface SpecIssued {
  readonly devId: string;
  readonly subject: string;
  readonly thumbprint: string;
  readonly pem: string;
  readonly csrSubject: string;
  /** The CSR's signature hash (`SHA-256`…). */
  readonly csrHash: string;
  readonly csrKeyBits: number;
  /** The AdditionalContext, name → values. */
  readonly context: Readonly<Record<string, readonly string[]>>;
  readonly provisioningXml: string;
}

/** A running spec server. */
export interface SpecEnrollServer {
  readonly origin: string;
  readonly discoveryUrl: string;
  readonly caPem: string;
  readonly options: SpecEnrollServerOptions;
  readonly received: ReceivedRequest[];
  readonly issued: SpecIssued[];
  close(): Promise<void>;
}

const ROUTES: Record<string, SpecStage> = {
  '/EnrollmentServer/Discovery.svc': 'discovery',
  '/EnrollmentServer/Policy.svc': 'policy',
  '/EnrollmentServer/Enrollment.svc': 'enroll',
};

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function answer(
  state: State,
  stage: SpecStage,
  body: string,
  res: ServerResponse,
): Promise<void> {
  const [action, responseAction] = ACTIONS[stage];
  const soap = 'application/soap+xml; charset=utf-8';
  let relatesTo = 'urn:uuid:unknown';
  try {
    let doc: unknown;
    try {
      doc = parser.parse(body, true);
    } catch {
      throw new Refusal('MessageFormat', 'not XML');
    }
    relatesTo = checkHeader(doc, action);
    const injected = state.options.faults?.[stage];
    if (injected !== undefined && 'plainHttpStatus' in injected) {
      return send(res, injected.plainHttpStatus, 'text/plain', 'injected failure');
    }
    if (injected !== undefined) {
      const refusal = new Refusal(injected.subcode, injected.reason ?? 'injected fault');
      return send(
        res,
        injected.httpStatus ?? 200,
        soap,
        faultXml(responseAction, relatesTo, refusal),
      );
    }
    const payload =
      stage === 'discovery'
        ? discoverResponse(state, doc)
        : stage === 'policy'
          ? policiesResponse(state, doc)
          : await enrollResponse(state, doc);
    send(res, 200, soap, envelope(responseAction, relatesTo, payload));
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    send(res, 200, soap, faultXml(responseAction, relatesTo, error));
  }
}

async function handle(
  state: State,
  received: ReceivedRequest[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const path = new URL(req.url ?? '/', state.origin).pathname;
  received.push({ method: req.method ?? '', path, headers: req.headers, body });
  const stage = ROUTES[path];
  if (stage === undefined) return send(res, 404, 'text/plain', 'not found');
  if (req.method === 'GET' && stage === 'discovery') {
    return send(res, state.options.probeStatus ?? 200, 'text/html', '');
  }
  if (req.method !== 'POST') return send(res, 405, 'text/plain', 'method not allowed');
  if (!(req.headers['content-type'] ?? '').startsWith('application/soap+xml')) {
    return send(res, 415, 'text/plain', 'expected application/soap+xml');
  }
  await answer(state, stage, body, res);
}

/** Starts a spec enrollment server on 127.0.0.1 (HTTPS, a fresh test CA). */
export async function startSpecEnrollServer(
  options: SpecEnrollServerOptions = {},
): Promise<SpecEnrollServer> {
  const pki = await makeTestPki();
  const received: ReceivedRequest[] = [];
  const issued: SpecIssued[] = [];
  const server: Server = createServer(
    { cert: pki.serverCertPem, key: pki.serverKeyPem },
    (req, res) => {
      handle(state, received, req, res).catch(() =>
        send(res, 500, 'text/plain', 'spec server error'),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const state: State = { pki, origin, options, issued };
  return {
    origin,
    discoveryUrl: `${origin}/EnrollmentServer/Discovery.svc`,
    caPem: pki.caPem,
    options,
    received,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
