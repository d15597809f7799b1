import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { ClientIdentity } from '../../core/dm/dm-account.js';

/** Sockets per agent (per origin and identity). */
const MAX_SOCKETS = 256;

/** One keep-alive agent lent to a request; give it back with {@link AgentLease.release}. */
export interface AgentLease {
  readonly agent: HttpAgent;
  release(): void;
}

interface PooledAgent {
  readonly agent: HttpAgent;
  /** Requests using it now: an agent in use is never destroyed. */
  inUse: number;
}

/**
 * The CA certificates a device with a TLS identity trusts: Node's bundled roots
 * (`tls.rootCertificates`), the file `NODE_EXTRA_CA_CERTS` names, and the identity's own roots.
 * Node replaces its whole default store, extra certificates included, as soon as a request
 * passes `ca` (Node 20 `tls.createSecureContext`: "Mozilla's CAs are completely replaced when CAs
 * are explicitly specified"; checked on Node 20.20: a server trusted only through
 * `NODE_EXTRA_CA_CERTS` fails with `ca: tls.rootCertificates`), so all three are passed.
 *
 * @throws when `NODE_EXTRA_CA_CERTS` names a file that cannot be read.
 */
export function trustedCas(identity: ClientIdentity): string[] {
  const extraPath = process.env['NODE_EXTRA_CA_CERTS'];
  let extra: string[] = [];
  if (extraPath !== undefined && extraPath !== '') {
    try {
      extra = [readFileSync(extraPath, 'utf8')];
    } catch (error) {
      throw new Error(
        `cannot read NODE_EXTRA_CA_CERTS (${extraPath}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  }
  return [...rootCertificates, ...extra, ...identity.trustedCaPems];
}

/** What tells identities apart: their certificate and the roots they trust (the key follows). */
function identityKey(identity: ClientIdentity | null): string {
  if (identity === null) return '-';
  const hash = createHash('sha256').update(identity.certificatePem);
  for (const pem of identity.trustedCaPems) hash.update('\0').update(pem);
  return hash.digest('hex');
}

/**
 * Keep-alive agents of the OMA-DM client, one per origin and TLS identity (a device's client
 * certificate is part of its connections, so devices cannot share sockets), at most `max` of them
 * kept: beyond it the least recently used idle agent is destroyed. Agents in use are never
 * destroyed, so the pool may exceed `max` while more requests than that are in flight.
 */
export class AgentPool {
  private readonly agents = new Map<string, PooledAgent>();

  constructor(private readonly max = 64) {
    if (!Number.isSafeInteger(max) || max < 1)
      throw new Error(`AgentPool: max ${max} is not a positive integer`);
  }

  /**
   * The agent for `url` and `identity`: the identity's certificate and key are presented as the
   * TLS client certificate, and its roots trusted, on https; on http the identity is not used.
   *
   * @throws when an https agent cannot be made (see {@link trustedCas}).
   */
  lease(url: URL, identity: ClientIdentity | null): AgentLease {
    const tlsIdentity = url.protocol === 'https:' ? identity : null;
    const key = `${url.protocol}//${url.host}|${identityKey(tlsIdentity)}`;
    let pooled = this.agents.get(key);
    if (pooled === undefined) {
      pooled = { agent: makeAgent(url, tlsIdentity), inUse: 0 };
    } else {
      this.agents.delete(key);
    }
    this.agents.set(key, pooled);
    pooled.inUse++;
    this.evict();
    const lent = pooled;
    let released = false;
    return {
      agent: lent.agent,
      release: () => {
        if (released) return;
        released = true;
        lent.inUse--;
        this.evict();
      },
    };
  }

  /** Agents kept now. */
  get size(): number {
    return this.agents.size;
  }

  /** Destroys every agent (their idle keep-alive connections close). */
  close(): void {
    for (const { agent } of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  private evict(): void {
    for (const [key, pooled] of this.agents) {
      if (this.agents.size <= this.max) return;
      if (pooled.inUse > 0) continue;
      this.agents.delete(key);
      pooled.agent.destroy();
    }
  }
}

function makeAgent(url: URL, identity: ClientIdentity | null): HttpAgent {
  const options = { keepAlive: true, maxSockets: MAX_SOCKETS };
  if (url.protocol !== 'https:') return new HttpAgent(options);
  if (identity === null) return new HttpsAgent(options);
  return new HttpsAgent({
    ...options,
    cert: identity.certificatePem,
    key: identity.keyPem,
    ca: trustedCas(identity),
  });
}
