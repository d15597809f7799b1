/** Kinds of network a device can be on. */
export type NetworkType = 'wifi' | 'cellular' | 'ethernet';

/** Network conditions of a device (scenario field `network`). */
export interface NetworkConfig {
  /** Connected to some network (what 1607's check looks at). */
  readonly connected: boolean;
  /** The network reaches the internet (false behind a captive portal, for example). */
  readonly internet: boolean;
  /** A metered connection: Data Sense counts its usage. */
  readonly metered: boolean;
  readonly type: NetworkType;
  /** WNS (`*.wns.windows.com`) is reachable from this network (false behind a blocking firewall). */
  readonly wnsReachable: boolean;
}

export const DEFAULT_NETWORK: NetworkConfig = {
  connected: true,
  internet: true,
  metered: false,
  type: 'wifi',
  wnsReachable: true,
};

/** Internet is only reachable on a connected network. */
export function hasInternet(n: NetworkConfig): boolean {
  return n.connected && n.internet;
}
