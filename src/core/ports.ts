/**
 * The ports through which the device core talks to the world. In-process stand-ins implement them
 * for virtual-time runs; network adapters (WebSocket link to the WNS emulator, HTTP OMA-DM client)
 * implement the same interfaces for live runs, without touching the device core.
 */
import type { ClientIdentity, DmAccount } from './dm/dm-account.js';
import type { DmTree } from './dm/dm-tree.js';
import type { PushStatus } from './dmclient/push-status.js';
import type { WnsPriority } from './device/wns-priority.js';
import type { ChannelFailure, SessionTrigger } from './timeline/events.js';

/** The answer to a channel request. */
export type ChannelGrant =
  | { readonly ok: true; readonly channelUri: string; readonly expiresAt: number }
  | {
      readonly ok: false;
      readonly reason: Extract<ChannelFailure, 'invalid-pfn' | 'pfn-blocked' | 'wns-unreachable'>;
    };

/** The answer to a revocation: WNS revoked the channels, or WNS could not be reached. */
export type RevokeResult =
  { readonly ok: true } | { readonly ok: false; readonly reason: 'wns-unreachable' };

/** A raw notification arriving at the device over its persistent connection. */
export interface IncomingPush {
  readonly msgId: string;
  readonly channelUri: string;
  /** It waited in the WNS cache while the device was offline. */
  readonly cached: boolean;
  /** The raw payload, base64 (MDM pushes carry none that matters; inboxes keep it). */
  readonly bodyBase64?: string;
  /** `X-WNS-PRIORITY` (1 High … 4 Very Low); absent: the raw default, 3 (Low). */
  readonly priority?: WnsPriority;
  /**
   * The deadline WNS gives the notification while it waits (its TTL, the cache's maximum age),
   * or null/absent for none: a device holding it drops it then.
   */
  readonly expiresAt?: number | null;
}

/** What the device hears on its persistent connection. */
export interface LinkHandlers {
  /** The connection is up. */
  onOpen(): void;
  /** A raw push arrived (the link acknowledges it to WNS). */
  onPush(push: IncomingPush): void;
  /** WNS ended the connection. */
  onClosed(reason: 'cloud'): void;
}

/** Device ↔ WNS: channel requests and the persistent connection. */
export interface WnsLink {
  /** Asks for a channel for `pfn`; `reply` is called once, now or later. */
  requestChannel(deviceId: string, pfn: string, reply: (grant: ChannelGrant) => void): void;
  /** Opens the device's persistent connection; `handlers.onOpen` is called when it is up. */
  connect(deviceId: string, handlers: LinkHandlers): void;
  /** Closes it (the device's own decision: Battery Saver, Data Sense, connectivity). */
  disconnect(deviceId: string): void;
  /**
   * Revokes every channel WNS issued to the device for `pfn` (the PFN was deleted or replaced):
   * a push to one is then answered 410 `Revoked channel URL`. `reply` is called once.
   */
  revokeChannels(deviceId: string, pfn: string, reply: (result: RevokeResult) => void): void;
}

/** What the device's DMClient tree says about push, as a server reads it in a session. */
export interface PushNodes {
  readonly pfn: string | null;
  readonly channelUri: string | null;
  readonly status: PushStatus;
}

/** A management session the device opens. */
export interface SessionRequest {
  readonly deviceId: string;
  readonly trigger: SessionTrigger;
  /** Reads `Push/PFN`, `Push/ChannelURI`, `Push/Status` as they are now. */
  readPush(): PushNodes;
  /** The device's DM tree, which a SyncML session reads and writes. */
  readonly tree: DmTree;
  /** `./DevInfo/DevId`: the SyncHdr Source of the device's messages. */
  readonly devId: string;
  /**
   * The DM account of an enrolled device (server URL, credentials, nonce), or null for a device
   * that is managed without enrollment: the transport's own URL, no credentials.
   */
  readonly account: DmAccount | null;
  /** The TLS client identity of an enrolled device, or null. */
  readonly identity: ClientIdentity | null;
}

export type SessionResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Device → MDM server: OMA-DM sessions. */
export interface MdmTransport {
  /** Runs one session; `done` is called once when it ends. */
  startSession(request: SessionRequest, done: (result: SessionResult) => void): void;
}
