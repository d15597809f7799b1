/**
 * The {@link DmAccount} of a provider, read from the DMAcc nodes of the device's tree
 * (`dmacc-nodes.ts`) each time it is asked for: a server's Replace of `AAuthName`/`AAuthSecret`
 * (Fleet's rekey) is seen by the next read.
 *
 * - The account is the one whose `ServerID` is the provider id: first the node a w7 APPLICATION
 *   creates for it ({@link accountUid}), then any other, in tree order.
 * - `serverUrl` is `AppAddr/{x}/Addr` of the first address that has one (the w7 mapping names it
 *   `1`; "only the first address provisioned is used"). `Port/{x}/PortNbr` is not merged into it:
 *   enrollment documents give ADDR as a whole URL. An account without an address reads as none.
 * - The client credential is the `AppAuth/{x}` whose `AAuthLevel` is `CLCRED`, the one named
 *   `CLCRED` first. It holds the device's credential to the server: the w7 `APPAUTH` with
 *   `AAUTHLEVEL` `APPSRV` ("the client authenticates itself to the OMA DM Server", w7 APPLICATION
 *   CSP; DMAcc: `CLCRED` "the client will authenticate itself to the OMA DM server"). Fleet puts
 *   the name and secret the device hashes there (`NewApplicationProvisioningData`: `APPSRV` with
 *   `AAUTHNAME`/`AAUTHSECRET`, `CLIENT` with a dummy secret only), its test client hashes that
 *   pair (`pkg/mdm/mdmtest/windows.go`: "only the client credentials characteristic has both
 *   username and password"), and its rekey Replaces `AppAuth/CLCRED/AAuthName|AAuthSecret`.
 * - `scheme`: `AAuthType` DIGEST → md5, BASIC → basic; without one, `AAuthPref`; without either,
 *   md5 ("If the value is empty, no previous session exists, and MD5 credentials exist, clients try
 *   MD5 authorization first", DMAcc `AAuthPref`).
 * - `nonce`: `AAuthData` when it is base64 (with its padding), else `''` (**choice**: enrollment
 *   documents put placeholder text there — Fleet's `nonce` — and the server's first challenge
 *   brings a real one). `saveNonce` writes `AAuthData` through the tree (Replace, or Add when it is
 *   absent), so it is saved with the tree's state; if the account is gone meanwhile it does nothing.
 */
import type { AccountCredential, AuthScheme, DmAccount } from './dm-account.js';
import type { DmTree } from './dm-tree.js';
import { CLIENT_CREDENTIAL, DMACC, accountUid } from './dmacc-nodes.js';

/** Standard base64 with its padding, not empty. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The present children of an interior node, by name (none when it is absent). */
function childrenOf(tree: DmTree, uri: string): string[] {
  const names = tree.peek(uri);
  return names === null || names === '' ? [] : names.split('/');
}

/** The URI of the provider's account (`./SyncML/DMAcc/{AccountUID}`), or null. */
export function findAccount(tree: DmTree, providerId: string): string | null {
  const preferred = accountUid(providerId);
  const names = childrenOf(tree, DMACC);
  const ordered = names.includes(preferred)
    ? [preferred, ...names.filter((n) => n !== preferred)]
    : names;
  for (const name of ordered)
    if (tree.peek(`${DMACC}/${name}/ServerID`) === providerId) return `${DMACC}/${name}`;
  return null;
}

/** The URI of the account's client credential (`AppAuth/{x}` with `AAuthLevel` CLCRED), or null. */
function clientAuth(tree: DmTree, account: string): string | null {
  const names = childrenOf(tree, `${account}/AppAuth`);
  const ordered = names.includes(CLIENT_CREDENTIAL)
    ? [CLIENT_CREDENTIAL, ...names.filter((n) => n !== CLIENT_CREDENTIAL)]
    : names;
  for (const name of ordered) {
    const uri = `${account}/AppAuth/${name}`;
    if (tree.peek(`${uri}/AAuthLevel`) === CLIENT_CREDENTIAL) return uri;
  }
  return null;
}

function schemeOf(type: string | null): AuthScheme | null {
  if (type === 'DIGEST') return 'md5';
  if (type === 'BASIC') return 'basic';
  return null;
}

/** The client credential the AppAuth node `auth` of `account` holds now. */
function credentialAt(tree: DmTree, account: string, auth: string): AccountCredential {
  const data = tree.peek(`${auth}/AAuthData`) ?? '';
  return {
    scheme:
      schemeOf(tree.peek(`${auth}/AAuthType`)) ??
      schemeOf(tree.peek(`${account}/AAuthPref`)) ??
      'md5',
    name: tree.peek(`${auth}/AAuthName`) ?? '',
    secret: tree.peek(`${auth}/AAuthSecret`) ?? '',
    nonce: data !== '' && BASE64.test(data) ? data : '',
  };
}

/**
 * The DM account of `providerId` in `tree`, or null when the tree has none for it (or it has no
 * server address).
 */
export function readAccount(tree: DmTree, providerId: string): DmAccount | null {
  const account = findAccount(tree, providerId);
  if (account === null) return null;
  let serverUrl: string | null = null;
  for (const name of childrenOf(tree, `${account}/AppAddr`)) {
    serverUrl = tree.peek(`${account}/AppAddr/${name}/Addr`);
    if (serverUrl !== null) break;
  }
  if (serverUrl === null) return null;
  const auth = clientAuth(tree, account);
  return {
    serverId: providerId,
    serverUrl,
    // Read from the tree at each use: a Replace of the credential (a rekey) counts from the next
    // message, even within the session that received it.
    get client(): AccountCredential | null {
      return auth === null ? null : credentialAt(tree, account, auth);
    },
    saveNonce(nonceBase64: string): void {
      if (auth === null) return;
      const target = `${auth}/AAuthData`;
      if (tree.peek(auth) === null) return;
      const kind = tree.peek(target) === null ? 'Add' : 'Replace';
      tree.run({ kind, cmdId: '1', items: [{ target, data: nonceBase64 }] });
    },
  };
}
