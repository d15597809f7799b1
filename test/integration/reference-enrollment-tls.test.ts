/**
 * The reference server's enrollment CA kept in a directory, and enrollment served over HTTPS
 * (Windows enrolls and manages over HTTPS only), on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  startReferenceMdm,
  type ReferenceEnrollmentOptions,
  type StartReferenceMdmOptions,
} from '../../src/adapters/mdm-server/start.js';
import { ensureCertificates } from '../../src/adapters/tls/certificates.js';
import { VirtualClock } from '../../src/core/time/virtual-clock.js';
import { at, discoverXml, readXml } from '../helpers/enrollment-soap.js';

const T0 = Date.UTC(2026, 0, 1);
const USER = { user: 'user@contoso.com', password: 'mypassword' };
const SOAP_TYPE = 'application/soap+xml; charset=utf-8';

function options(extra: Partial<StartReferenceMdmOptions> = {}): StartReferenceMdmOptions {
  return {
    port: 0,
    pfn: 'Contoso.MDM_8wekyb3d8bbwe',
    wns: { tokenUrl: 'http://127.0.0.1:9/accesstoken.srf', sid: 'ms-app://s-1', secret: 'x' },
    clock: new VirtualClock({ start: T0 }),
    enrollment: { authPolicy: 'OnPremise', users: [USER] },
    ...extra,
  };
}

describe('the enrollment CA kept in a directory', () => {
  it('is generated once and reused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmpush-enroll-ca-'));
    try {
      const enrollment: ReferenceEnrollmentOptions = {
        authPolicy: 'OnPremise',
        users: [USER],
        caDir: dir,
      };
      const first = await startReferenceMdm(options({ enrollment }));
      const thumb = first.enrollment?.ca.root.thumbprint;
      await first.close();
      const second = await startReferenceMdm(options({ enrollment }));
      expect(thumb).toMatch(/^[0-9A-F]{40}$/);
      expect(second.enrollment?.ca.root.thumbprint).toBe(thumb);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('enrollment over HTTPS', () => {
  it('serves discovery with TLS and names https URLs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmpush-enroll-tls-'));
    try {
      const tls = await ensureCertificates(dir, ['127.0.0.1', 'localhost'], T0);
      const running = await startReferenceMdm(
        options({ tls: { cert: tls.certPem, key: tls.keyPem } }),
      );
      try {
        expect(running.url).toMatch(/^https:/);
        const body = discoverXml({ to: 'x' });
        const xml = await new Promise<string>((resolve, reject) => {
          const req = httpsRequest(
            `${running.url}/EnrollmentServer/Discovery.svc`,
            { method: 'POST', ca: tls.caPem, headers: { 'content-type': SOAP_TYPE } },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (text += chunk));
              res.on('end', () => resolve(text));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
        const result = at(readXml(xml), 'Envelope', 'Body', 'DiscoverResponse', 'DiscoverResult');
        expect(at(result, 'EnrollmentServiceUrl')).toBe(
          `${running.url}/EnrollmentServer/Enrollment.svc`,
        );
      } finally {
        await running.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
