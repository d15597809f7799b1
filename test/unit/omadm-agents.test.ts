import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentPool, trustedCas } from '../../src/adapters/http/omadm-agents.js';
import type { ClientIdentity } from '../../src/core/dm/dm-account.js';

const identity = (name: string): ClientIdentity => ({
  certificatePem: `cert ${name}`,
  keyPem: `key ${name}`,
  trustedCaPems: [`root ${name}`],
});
const A = new URL('https://a.example/ManagementServer/MDM.svc');
const B = new URL('https://b.example/ManagementServer/MDM.svc');
const C = new URL('https://c.example/ManagementServer/MDM.svc');

const pools: AgentPool[] = [];
const savedExtra = process.env['NODE_EXTRA_CA_CERTS'];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
  if (savedExtra === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
  else process.env['NODE_EXTRA_CA_CERTS'] = savedExtra;
});
function pool(max?: number): AgentPool {
  const p = new AgentPool(max);
  pools.push(p);
  return p;
}

describe('AgentPool', () => {
  it('one agent per origin and TLS identity; plain http ignores the identity', () => {
    const p = pool();
    const first = p.lease(A, identity('1'));
    expect(p.lease(A, identity('1')).agent).toBe(first.agent);
    expect(p.lease(A, identity('2')).agent).not.toBe(first.agent);
    expect(p.lease(B, identity('1')).agent).not.toBe(first.agent);
    expect(p.lease(A, null).agent).not.toBe(first.agent);
    const http = new URL('http://a.example/x');
    expect(p.lease(http, identity('1')).agent).toBe(p.lease(http, identity('2')).agent);
    expect(p.size).toBe(5);
  });

  it('presents the identity: certificate, key and the trusted roots on an https agent', () => {
    delete process.env['NODE_EXTRA_CA_CERTS'];
    const agent = pool().lease(A, identity('1')).agent as HttpsAgent;
    expect(agent.options.cert).toBe('cert 1');
    expect(agent.options.key).toBe('key 1');
    expect(agent.options.ca).toEqual([...rootCertificates, 'root 1']);
  });

  it('keeps at most max agents, dropping the least recently used idle one', () => {
    const p = pool(2);
    const a = p.lease(A, null);
    a.release();
    p.lease(B, null).release();
    p.lease(A, null).release(); // A is now the most recently used
    p.lease(C, null).release();
    expect(p.size).toBe(2);
    expect(p.lease(A, null).agent).toBe(a.agent);
    expect(p.size).toBe(2);
  });

  it('never drops an agent in use: the pool grows past max while leases are held', () => {
    const p = pool(1);
    const a = p.lease(A, null);
    const b = p.lease(B, null);
    expect(p.size).toBe(2);
    expect(p.lease(A, null).agent).toBe(a.agent);
    a.release();
    a.release(); // twice is once
    expect(p.size).toBe(2); // A is still lent out by the second lease
    b.release();
    expect(p.size).toBe(1);
    expect(() => new AgentPool(0)).toThrow(/max 0 is not a positive integer/);
  });
});

describe('trustedCas', () => {
  it("Node's bundled roots, then the NODE_EXTRA_CA_CERTS file, then the identity's roots", () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmpush-ca-'));
    try {
      const file = join(dir, 'extra.pem');
      writeFileSync(file, 'extra bundle');
      process.env['NODE_EXTRA_CA_CERTS'] = file;
      expect(trustedCas(identity('1'))).toEqual([...rootCertificates, 'extra bundle', 'root 1']);
      delete process.env['NODE_EXTRA_CA_CERTS'];
      expect(trustedCas(identity('1'))).toEqual([...rootCertificates, 'root 1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
