/**
 * SyncML DM 1.2 messages as plain data: what the codec (`codec.ts`) parses from and serializes to
 * XML, and what the device's session engine and the reference MDM server work on. Only the
 * elements Windows' OMA-DM client uses are modelled (docs/model.md, "OMA-DM sessions").
 */

/** `<Meta>` of a command or an item (`Format`, `Type`; `MaxMsgSize` in the header's Meta). */
export interface Meta {
  /** `<Format>`: `chr`, `int`, `bool`, `b64`, `node`, `null`, `xml`… */
  readonly format?: string;
  /** `<Type>`: a MIME type, e.g. `text/plain`. */
  readonly type?: string;
}

/** `<Item>`: a target and/or source node, with optional Meta and Data. */
export interface Item {
  /** `<Target><LocURI>`. */
  readonly target?: string;
  /** `<Source><LocURI>`. */
  readonly source?: string;
  readonly meta?: Meta;
  /** `<Data>` as text (absent when the element is missing; `''` when empty). */
  readonly data?: string;
}

/** The operations a server sends on nodes. */
export type NodeCommandKind = 'Get' | 'Add' | 'Replace' | 'Delete' | 'Exec';

export interface AlertCommand {
  readonly kind: 'Alert';
  readonly cmdId: string;
  /** The alert code, e.g. `1201`, `1224`, `1226`. */
  readonly data: string;
  readonly items: readonly Item[];
}

export interface NodeCommand {
  readonly kind: NodeCommandKind;
  readonly cmdId: string;
  /** Command-level Meta (applies to items without their own). */
  readonly meta?: Meta;
  readonly items: readonly Item[];
}

/** `<Atomic>` (all or nothing) and `<Sequence>` (in order) hold other commands. */
export interface ContainerCommand {
  readonly kind: 'Atomic' | 'Sequence';
  readonly cmdId: string;
  readonly commands: readonly Command[];
}

export interface StatusCommand {
  readonly kind: 'Status';
  readonly cmdId: string;
  readonly msgRef: string;
  /** `0` for the SyncHdr. */
  readonly cmdRef: string;
  /** The referenced command's element name (`SyncHdr`, `Get`, `Alert`…). */
  readonly cmd: string;
  readonly targetRef?: string;
  readonly sourceRef?: string;
  /** `<Chal>`: the sender asks for (new) credentials; on the SyncHdr's Status, with 401 or 407. */
  readonly chal?: Chal;
  /** The status code, e.g. `200`, `404`. */
  readonly data: string;
  readonly items?: readonly Item[];
}

export interface ResultsCommand {
  readonly kind: 'Results';
  readonly cmdId: string;
  readonly msgRef: string;
  readonly cmdRef: string;
  readonly items: readonly Item[];
}

/**
 * An element under SyncBody, Atomic or Sequence that is not a command the device runs (`Copy`,
 * `Map`, `Search`, an unknown name; inside Atomic or Sequence also `Status` and `Results`): kept
 * so that it gets its own Status 400 and the rest of the message runs ([OMA] DM protocol
 * commands: "If an XML element that isn't a valid OMA DM command is under one of the following
 * elements, the status code 400 is returned for that element: SyncBody, Atomic, Sequence").
 */
export interface UnsupportedCommand {
  readonly kind: 'Unsupported';
  /** The element's local name (the Status' `Cmd`). */
  readonly name: string;
  /** The text of its first `<CmdID>` child, `''` when it has none (the Status' `CmdRef`). */
  readonly cmdId: string;
}

export type Command =
  | AlertCommand
  | NodeCommand
  | ContainerCommand
  | StatusCommand
  | ResultsCommand
  | UnsupportedCommand;

/** The element name of a command: its kind, or an unsupported element's own name. */
export function commandName(command: Command): string {
  return command.kind === 'Unsupported' ? command.name : command.kind;
}

/**
 * `<Cred>` (in the SyncHdr only, OMA DM 1.2): the originator's credential. Meta `Type` names the
 * scheme (`syncml:auth-md5`, `syncml:auth-basic`), Meta `Format` its encoding (`b64`); `data` is
 * the credential as sent (see `auth.ts`).
 */
export interface Cred {
  readonly meta?: Meta;
  readonly data: string;
}

/** `<Chal><Meta>`: the scheme asked for, and for `syncml:auth-md5` the next nonce. */
export interface ChalMeta extends Meta {
  /** `<NextNonce>` as sent: base64 text when `format` is `b64` (see `auth.ts`, `readChallenge`). */
  readonly nextNonce?: string;
}

/** `<Chal>`: an authentication challenge, carried by a Status. */
export interface Chal {
  readonly meta: ChalMeta;
}

/** `<SyncHdr>`. */
export interface SyncHdr {
  /** `1.2`. */
  readonly verDTD: string;
  /** `DM/1.2`. */
  readonly verProto: string;
  readonly sessionId: string;
  readonly msgId: string;
  /** `<Target><LocURI>`: the server URL in device messages, the DevId in server messages. */
  readonly target: string;
  /** `<Source><LocURI>`. */
  readonly source: string;
  /** `<Cred>`, when sent. */
  readonly cred?: Cred;
  /** `<Meta><MaxMsgSize>`, when sent. */
  readonly maxMsgSize?: number;
}

/** One SyncML message (one HTTP body). */
export interface SyncMLMessage {
  readonly header: SyncHdr;
  readonly commands: readonly Command[];
  /** `<Final/>`: the last message of its package. */
  readonly final: boolean;
}

/** The media type of SyncML DM over HTTP (XML encoding). */
export const SYNCML_CONTENT_TYPE = 'application/vnd.syncml.dm+xml';
