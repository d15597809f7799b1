/** Mapping the element tree onto a {@link SyncMLMessage}: the header, commands and items. */
import { SyncMLError } from './errors.js';
import {
  childElements,
  leafText,
  missing,
  optionalLocUri,
  optionalMeta,
  optionalText,
  quote,
  readData,
  readFields,
  readMetaFields,
  requiredLocUri,
  requiredText,
  type Fields,
  type Located,
} from './fields.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, type SyncMLLimits } from './limits.js';
import type {
  AlertCommand,
  Chal,
  Command,
  Cred,
  ContainerCommand,
  Item,
  NodeCommand,
  NodeCommandKind,
  ResultsCommand,
  StatusCommand,
  SyncHdr,
  SyncMLMessage,
  UnsupportedCommand,
} from './message.js';
import { readDocument, type XmlElement } from './xml-reader.js';
import { SYNCML_NS } from './xml-text.js';

function readItem(at: Located): Item {
  const fields = readFields(at, ['Target', 'Source', 'Meta', 'Data'], []);
  const target = optionalLocUri(fields, 'Target');
  const source = optionalLocUri(fields, 'Source');
  const meta = optionalMeta(fields);
  const data = fields.one.get('Data');
  return {
    ...(target !== undefined && { target }),
    ...(source !== undefined && { source }),
    ...(meta !== undefined && { meta }),
    ...(data !== undefined && { data: readData(data) }),
  };
}

function readItems(fields: Fields, atLeastOne: boolean): Item[] {
  if (atLeastOne && fields.items.length === 0) throw missing(fields, 'Item');
  return fields.items.map(readItem);
}

/** `<Cred>`: optional Meta (Type, Format), then Data, the credential as text. */
function readCred(at: Located): Cred {
  const fields = readFields(at, ['Meta', 'Data'], []);
  const meta = optionalMeta(fields);
  return { ...(meta !== undefined && { meta }), data: requiredText(fields, 'Data') };
}

/** `<Chal>`: its Meta (Type, Format, NextNonce). */
function readChal(at: Located): Chal {
  const fields = readFields(at, ['Meta'], []);
  const field = fields.one.get('Meta');
  if (field === undefined) throw missing(fields, 'Meta');
  const meta = readMetaFields(field, ['NextNonce']);
  const format = optionalText(meta, 'Format');
  const type = optionalText(meta, 'Type');
  const nextNonce = optionalText(meta, 'NextNonce');
  return {
    meta: {
      ...(format !== undefined && { format }),
      ...(type !== undefined && { type }),
      ...(nextNonce !== undefined && { nextNonce }),
    },
  };
}

function readHeader(at: Located): SyncHdr {
  const fields = readFields(
    at,
    ['VerDTD', 'VerProto', 'SessionID', 'MsgID', 'Target', 'Source', 'Cred', 'Meta'],
    ['RespURI', 'NoResp'],
  );
  const verDTD = requiredText(fields, 'VerDTD');
  if (verDTD !== '1.2') {
    throw new SyncMLError(`${at.path}/VerDTD`, `expected 1.2, got ${quote(verDTD)}`);
  }
  const verProto = requiredText(fields, 'VerProto');
  if (verProto !== 'DM/1.2') {
    throw new SyncMLError(`${at.path}/VerProto`, `expected DM/1.2, got ${quote(verProto)}`);
  }
  let header: SyncHdr = {
    verDTD,
    verProto,
    sessionId: requiredText(fields, 'SessionID'),
    msgId: requiredText(fields, 'MsgID'),
    target: requiredLocUri(fields, 'Target'),
    source: requiredLocUri(fields, 'Source'),
  };
  const cred = fields.one.get('Cred');
  if (cred !== undefined) header = { ...header, cred: readCred(cred) };
  const meta = fields.one.get('Meta');
  const maxMsgSize = meta && readMetaFields(meta).one.get('MaxMsgSize');
  if (maxMsgSize === undefined) return header;
  const size = leafText(maxMsgSize);
  if (!/^[0-9]+$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new SyncMLError(maxMsgSize.path, `expected a whole number of bytes, got ${quote(size)}`);
  }
  return { ...header, maxMsgSize: Number(size) };
}

/** Reads a command list (SyncBody, Atomic, Sequence); returns whether `<Final/>` ended it. */
function readCommands(
  children: readonly Located[],
  container: string | undefined,
): { commands: Command[]; final: boolean } {
  const commands: Command[] = [];
  for (const [index, child] of children.entries()) {
    const kind = child.element.local;
    if (kind === 'Final' && container === undefined) {
      if (index !== children.length - 1) {
        throw new SyncMLError(child.path, 'Final must be the last element of SyncBody');
      }
      if (child.element.children.some((node) => typeof node !== 'string' || node.trim() !== '')) {
        throw new SyncMLError(child.path, 'expected an empty element');
      }
      return { commands, final: true };
    }
    // Inside Atomic or Sequence, Status, Results and Final are not commands to run there; a
    // command to run without a CmdID is answered 400 with a blank CmdRef ([OMA]).
    const notHere = container !== undefined && CONTAINER_ONLY_OUTSIDE.has(kind);
    const unsupported = readUnsupported(child);
    const noCmdId = RUNNABLE.has(kind) && unsupported.cmdId === '';
    commands.push(notHere || noCmdId ? unsupported : readCommand(child));
  }
  return { commands, final: false };
}

/** The commands the device runs (the others it reads: Status, Results). */
const RUNNABLE: ReadonlySet<string> = new Set([
  'Get',
  'Add',
  'Replace',
  'Delete',
  'Exec',
  'Alert',
  'Atomic',
  'Sequence',
]);

/** Elements that are commands in SyncBody but not inside Atomic or Sequence. */
const CONTAINER_ONLY_OUTSIDE: ReadonlySet<string> = new Set(['Status', 'Results', 'Final']);

/**
 * An element that is not a command the device runs: its name and the text of its first CmdID
 * (`''` when it has none or the CmdID is not plain text). Nothing else of it is read; the reader
 * already bounded its size and depth.
 */
function readUnsupported(at: Located): UnsupportedCommand {
  const cmdId = at.element.children.find(
    (node): node is XmlElement => typeof node !== 'string' && node.local === 'CmdID',
  );
  const text =
    cmdId?.children.every((node) => typeof node === 'string') === true
      ? (cmdId.children as string[]).join('').trim()
      : '';
  return { kind: 'Unsupported', name: at.element.local, cmdId: text };
}

function readCommand(at: Located): Command {
  const kind = at.element.local;
  switch (kind) {
    case 'Get':
    case 'Add':
    case 'Replace':
    case 'Delete':
    case 'Exec':
      return readNodeCommand(at, kind);
    case 'Alert':
      return readAlert(at);
    case 'Atomic':
    case 'Sequence':
      return readContainer(at, kind);
    case 'Status':
      return readStatus(at);
    case 'Results':
      return readResults(at);
    default:
      return readUnsupported(at);
  }
}

function readAlert(at: Located): AlertCommand {
  const fields = readFields(at, ['CmdID', 'Data', 'Item'], ['Cred', 'NoResp', 'Correlator']);
  return {
    kind: 'Alert',
    cmdId: requiredText(fields, 'CmdID'),
    data: requiredText(fields, 'Data'),
    items: readItems(fields, false),
  };
}

function readNodeCommand(at: Located, kind: NodeCommandKind): NodeCommand {
  const fields = readFields(at, ['CmdID', 'Meta', 'Item'], ['Cred', 'NoResp']);
  const cmdId = requiredText(fields, 'CmdID');
  const meta = optionalMeta(fields);
  return {
    kind,
    cmdId,
    ...(meta !== undefined && { meta }),
    items: readItems(fields, true),
  };
}

/** Atomic or Sequence: CmdID, then the commands (Meta and NoResp are read over). */
function readContainer(at: Located, kind: 'Atomic' | 'Sequence'): ContainerCommand {
  let cmdId: Located | undefined;
  const commands: Located[] = [];
  for (const child of childElements(at)) {
    const name = child.element.local;
    if (name === 'CmdID') {
      if (cmdId !== undefined) throw new SyncMLError(at.path, 'CmdID appears more than once');
      cmdId = child;
    } else if (name !== 'Meta' && name !== 'NoResp') {
      commands.push(child);
    }
  }
  if (cmdId === undefined) throw new SyncMLError(at.path, 'expected CmdID, got nothing');
  return { kind, cmdId: leafText(cmdId), commands: readCommands(commands, kind).commands };
}

function readStatus(at: Located): StatusCommand {
  const fields = readFields(
    at,
    ['CmdID', 'MsgRef', 'CmdRef', 'Cmd', 'TargetRef', 'SourceRef', 'Chal', 'Data', 'Item'],
    ['Cred'],
  );
  const cmdId = requiredText(fields, 'CmdID');
  const msgRef = requiredText(fields, 'MsgRef');
  const cmdRef = requiredText(fields, 'CmdRef');
  const cmd = requiredText(fields, 'Cmd');
  const targetRef = optionalText(fields, 'TargetRef');
  const sourceRef = optionalText(fields, 'SourceRef');
  const chal = fields.one.get('Chal');
  const data = requiredText(fields, 'Data');
  const items = readItems(fields, false);
  return {
    kind: 'Status',
    cmdId,
    msgRef,
    cmdRef,
    cmd,
    ...(targetRef !== undefined && { targetRef }),
    ...(sourceRef !== undefined && { sourceRef }),
    ...(chal !== undefined && { chal: readChal(chal) }),
    data,
    ...(items.length > 0 && { items }),
  };
}

function readResults(at: Located): ResultsCommand {
  const fields = readFields(
    at,
    ['CmdID', 'MsgRef', 'CmdRef', 'Item'],
    ['Meta', 'TargetRef', 'SourceRef', 'Cmd'],
  );
  return {
    kind: 'Results',
    cmdId: requiredText(fields, 'CmdID'),
    msgRef: requiredText(fields, 'MsgRef'),
    cmdRef: requiredText(fields, 'CmdRef'),
    items: readItems(fields, true),
  };
}

function readMessage(root: XmlElement): SyncMLMessage {
  if (root.local !== 'SyncML') {
    throw new SyncMLError('', `expected root element SyncML, got ${root.name}`);
  }
  const prefix = root.name.slice(0, Math.max(0, root.name.indexOf(':')));
  const namespace = root.attributes.get(prefix === '' ? 'xmlns' : `xmlns:${prefix}`);
  if (namespace !== undefined && namespace.toUpperCase() !== SYNCML_NS) {
    throw new SyncMLError('SyncML', `expected namespace ${SYNCML_NS}, got ${quote(namespace)}`);
  }
  const fields = readFields({ element: root, path: '' }, ['SyncHdr', 'SyncBody'], []);
  const hdr = fields.one.get('SyncHdr');
  const body = fields.one.get('SyncBody');
  if (hdr === undefined) throw missing(fields, 'SyncHdr');
  if (body === undefined) throw missing(fields, 'SyncBody');
  const header = readHeader(hdr);
  const { commands, final } = readCommands(childElements(body), undefined);
  return { header, commands, final };
}

/**
 * Reads one SyncML DM 1.2 message (XML encoding).
 *
 * @param xml - The HTTP body, decoded to a string.
 * @param limits - Size and depth limits ({@link SyncMLLimits}); defaults 1 MiB and 32.
 * @returns The message; optional fields absent from the XML are absent from the result.
 * @throws {@link SyncMLError} for anything that is not a well-formed message, and nothing else
 *   whatever the input; the error's `path` names the offending element. An element that is not a
 *   command the device runs is not an error: it is kept as an `Unsupported` command.
 */
export function parseSyncML(xml: string, limits: SyncMLLimits = {}): SyncMLMessage {
  if (typeof xml !== 'string') throw new SyncMLError('', 'expected the message as a string');
  const root = readDocument(
    xml,
    limits.maxBytes ?? DEFAULT_MAX_BYTES,
    limits.maxDepth ?? DEFAULT_MAX_DEPTH,
  );
  return readMessage(root);
}
