/**
 * Applying an enrollment's `wap-provisioningdoc` to the device's DM tree, as Windows maps its
 * characteristics onto CSPs (MS-MDE2 §4 sample; "w7 APPLICATION CSP", "DMAcc CSP",
 * "CertificateStore CSP", "DMClient CSP"; the documents Fleet and Mattrax build). Each
 * characteristic has its module, with its mapping and the rules it imposes: `CertificateStore`
 * (`provisioning-certstore.ts`), the w7 `APPLICATION` (`provisioning-w7.ts`), `DMClient`
 * (`provisioning-dmclient.ts`); the paths, parm checks and the error are in
 * `provisioning-elements.ts`.
 *
 * All or nothing: the whole document runs as one transaction of the tree (its Atomic staging), so
 * a document the tree cannot apply leaves the tree as it was and throws a
 * {@link ProvisioningApplyError} naming the element (`characteristic[type=APPLICATION]/parm[name=ADDR]:
 * missing`). Only a side effect that throws when the changes are stored (the device refusing a
 * PFN, say) leaves them applied, as an Atomic's 516.
 */
import type { ProvisioningDoc } from '../enroll/wap-doc.js';
import type { NodeCommandKind } from '../syncml/message.js';
import { findAccount } from './account-reader.js';
import type { CommandOutcome, DmTree } from './dm-tree.js';
import { DMCLIENT } from './dmclient-nodes.js';
import { certificateStore, type AppliedCertificate } from './provisioning-certstore.js';
import { dmClient, w7Provider } from './provisioning-dmclient.js';
import { fail, located, show, type Step } from './provisioning-elements.js';
import { application } from './provisioning-w7.js';

export { ProvisioningApplyError } from './provisioning-elements.js';

/** What applying a document set up. */
export interface AppliedProvisioning {
  /** w7 `PROVIDER-ID`: the DMClient `{ProviderID}` and DMAcc `ServerID`. */
  readonly providerId: string;
  /** The DMAcc `{AccountUID}` of the account. */
  readonly accountUid: string;
  /** The management server's address (w7 `ADDR`): where sessions post. */
  readonly managementUrl: string;
  /** In document order. */
  readonly certificates: readonly AppliedCertificate[];
}

/**
 * Applies `doc` to `tree` (see the module's documentation) and returns what it set up. Throws
 * {@link ProvisioningApplyError} for a document the tree cannot apply, the tree then unchanged.
 */
export function applyProvisioning(tree: DmTree, doc: ProvisioningDoc): AppliedProvisioning {
  const { steps, applied } = plan(doc);
  runSteps(tree, steps);
  return applied;
}

/** The document's steps (certificates, then the account, then the provider) and its result. */
function plan(doc: ProvisioningDoc): { steps: Step[]; applied: AppliedProvisioning } {
  const top = located('', doc.characteristics);
  const applications = top.filter(([c]) => c.type === 'APPLICATION');
  const [w7Entry, second] = applications;
  if (!w7Entry) fail('characteristic[type=APPLICATION]', 'missing (the w7 APPLICATION)');
  if (second) fail(second[1], 'a second APPLICATION (one w7 account per enrollment)');

  const certSteps: Step[] = [];
  const accountSteps: Step[] = [];
  const certificates: AppliedCertificate[] = [];
  const w7 = application(w7Entry[1], w7Entry[0], accountSteps);
  const providerSteps = w7Provider(w7Entry[1], w7);
  for (const [c, path] of top) {
    if (c.type === 'CertificateStore') certificateStore(path, c, certSteps, certificates);
    else if (c.type === 'DMClient') dmClient(path, c, w7.providerId, providerSteps);
    else if (c.type !== 'APPLICATION')
      fail(
        path,
        'not a characteristic the device applies (CertificateStore, APPLICATION, DMClient)',
      );
  }
  return {
    steps: [...certSteps, ...accountSteps, ...providerSteps],
    applied: {
      providerId: w7.providerId,
      accountUid: w7.uid,
      managementUrl: w7.addr,
      certificates,
    },
  };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  403: 'refused (the value may not go back)',
  404: 'not found (its parent is absent)',
  405: 'not allowed (a node the device does not have, or may not set)',
  406: 'not supported by the device',
  415: 'not a valid value for the node',
  418: 'already exists',
};

function refused(kind: NodeCommandKind, uri: string, code: number, value?: string): string {
  const what = value === undefined || ![403, 406, 415].includes(code) ? '' : ` ${show(value)}`;
  return `${kind} ${uri}${what}: ${code} ${STATUS_TEXT[code] ?? 'failed'}`;
}

/**
 * Runs the steps as one transaction of the tree: each an Add, Replace or Delete as the node's
 * presence asks. Throws {@link ProvisioningApplyError} naming the step's element when a command
 * fails (nothing changed) or a side effect throws (everything stays applied).
 */
function runSteps(tree: DmTree, steps: readonly Step[]): void {
  const done: [string, CommandOutcome][] = [];
  const result = tree.transaction((tx) => {
    let cmdId = 0;
    const run = (step: Step, kind: NodeCommandKind, value?: string): void => {
      const item = value === undefined ? { target: step.uri } : { target: step.uri, data: value };
      const outcome = tx.run({ kind, cmdId: String(++cmdId), items: [item] });
      const code = outcome.statuses[0]?.code ?? 500;
      if (code < 200 || code >= 300) fail(step.path, refused(kind, step.uri, code, value));
      done.push([step.path, outcome]);
    };
    for (const step of steps) {
      const present = tx.peek(step.uri) !== null;
      if (step.op === 'node') {
        if (!present) run(step, 'Add');
      } else if (step.op === 'clear') {
        if (present) run(step, 'Delete');
      } else {
        run(step, present ? 'Replace' : 'Add', step.value);
      }
    }
  });
  if (result === 'side-effect-failed') {
    const failed = done.find(([, o]) => o.statuses.some((s) => s.code === 500));
    fail(
      failed?.[0] ?? '',
      'stored, but the device failed to act on it (a side effect threw); the document stays applied',
    );
  }
}

/**
 * Removes what an enrollment for `providerId` put in the tree: its DMAcc accounts and its
 * `DMClient/Provider/{id}` (clearing the PFN when the provider held it, and calling the tree's
 * `providerRemoved`). Certificates stay (**choice**: nothing in the tree ties them to the
 * provider).
 */
export function removeProvider(tree: DmTree, providerId: string): void {
  let cmdId = 0;
  const remove = (target: string): boolean =>
    tree.run({ kind: 'Delete', cmdId: String(++cmdId), items: [{ target }] }).statuses[0]?.code ===
    200;
  for (let account = findAccount(tree, providerId); account !== null;) {
    if (!remove(account)) break;
    account = findAccount(tree, providerId);
  }
  const provider = `${DMCLIENT}/Provider/${providerId}`;
  if (tree.peek(provider) !== null) remove(provider);
}
