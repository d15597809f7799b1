/**
 * The HTTP side of the reference server's enrollment service (MS-MDE2): its paths, as a real
 * server serves them (`/EnrollmentServer/Discovery.svc` is where Windows looks, from
 * `enterpriseenrollment.{domain}`, per Microsoft's "On-premises authentication device
 * enrollment"; Fleet serves it too), and the routes that hand request bodies to
 * {@link EnrollmentServer}.
 *
 * - `GET` on the discovery path: 200 with an empty body (the client's first probe);
 * - `POST` of `application/soap+xml` on the discovery, policy and enrollment paths: the SOAP
 *   answer, 200 (faults too, as Fleet answers them), `application/soap+xml; charset=utf-8`;
 * - `GET` on the authentication path (Federated's AuthenticationServiceUrl): 501, the sign-in
 *   page is not modelled (devices present a configured token).
 */
import type { BodyPolicy } from '../http/body-policy.js';
import type { Exchange } from '../http/exchange.js';
import { HttpError } from '../http/http-util.js';
import type { Route } from '../http/route-table.js';
import type { EnrollmentServer } from '../../mdm-server/enrollment/enrollment-server.js';
import { MAX_SOAP_BYTES } from '../../mdm-server/enrollment/soap-request.js';

/** The paths of the enrollment service and of management sessions. */
export const ENROLLMENT_PATHS = {
  discovery: '/EnrollmentServer/Discovery.svc',
  policy: '/EnrollmentServer/Policy.svc',
  enrollment: '/EnrollmentServer/Enrollment.svc',
  authentication: '/EnrollmentServer/Authentication.svc',
  /** w7 `ADDR` (the server answers SyncML on any path; this is the one it names). */
  management: '/ManagementServer/MDM.svc',
} as const;

/** The media type of SOAP 1.2 (RFC 3902). */
const SOAP_CONTENT_TYPE = 'application/soap+xml';

/** A SOAP request: that content type, at most {@link MAX_SOAP_BYTES}. */
const SOAP_BODY: BodyPolicy = {
  limit: MAX_SOAP_BYTES,
  accepts: [SOAP_CONTENT_TYPE],
  requireContentType: true,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The absolute URLs of {@link ENROLLMENT_PATHS} on `origin` (no trailing `/`). */
export function enrollmentUrls(origin: string): Record<keyof typeof ENROLLMENT_PATHS, string> {
  const base = origin.replace(/\/+$/, '');
  return {
    discovery: base + ENROLLMENT_PATHS.discovery,
    policy: base + ENROLLMENT_PATHS.policy,
    enrollment: base + ENROLLMENT_PATHS.enrollment,
    authentication: base + ENROLLMENT_PATHS.authentication,
    management: base + ENROLLMENT_PATHS.management,
  };
}

/** Passes the body to `answer` and sends its SOAP envelope. */
async function soap(x: Exchange, answer: (xml: string) => Promise<string>): Promise<void> {
  let xml: string;
  try {
    xml = utf8.decode(x.bytes);
  } catch {
    throw new HttpError(400, 'the body is not valid UTF-8');
  }
  const reply = await answer(xml);
  x.send(200, { 'content-type': `${SOAP_CONTENT_TYPE}; charset=utf-8` }, reply);
}

/** The enrollment service's routes. */
export function enrollmentRoutes(server: EnrollmentServer): Route[] {
  const post = (path: string, answer: (xml: string) => Promise<string>): Route => ({
    method: 'POST',
    path,
    body: SOAP_BODY,
    handle: (x) => soap(x, answer),
  });
  return [
    {
      method: 'GET',
      path: ENROLLMENT_PATHS.discovery,
      handle: (x) => x.send(200, { 'content-type': 'text/html' }, ''),
    },
    post(ENROLLMENT_PATHS.discovery, (xml) => server.discover(xml)),
    post(ENROLLMENT_PATHS.policy, (xml) => server.policies(xml)),
    post(ENROLLMENT_PATHS.enrollment, (xml) => server.enroll(xml)),
    {
      method: 'GET',
      path: ENROLLMENT_PATHS.authentication,
      handle: () => {
        throw new HttpError(
          501,
          'not modelled: the Federated sign-in page; a device presents one of the configured tokens',
        );
      },
    },
  ];
}
