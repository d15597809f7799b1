/** Writing a {@link SyncMLMessage} as compact SyncML DM 1.2 XML. */
import { SyncMLError } from './errors.js';
import { quote } from './fields.js';
import {
  commandName,
  type ChalMeta,
  type Command,
  type Item,
  type Meta,
  type SyncMLMessage,
} from './message.js';
import { codePointName, escapeXml, METINF_NS, NOT_XML_CHAR, SYNCML_NS } from './xml-text.js';

/** Writes the elements of one message, with paths for error messages. */
class Writer {
  private xml = '';

  /** `<name>text</name>`; the text must be representable in XML 1.0. */
  text(name: string, value: string, path: string, attributes = ''): void {
    const bad = NOT_XML_CHAR.exec(value);
    if (bad) {
      throw new SyncMLError(
        `${path}/${name}`,
        `${codePointName(bad[0])} cannot be written in XML 1.0`,
        500,
      );
    }
    this.xml +=
      value === ''
        ? `<${name}${attributes}/>`
        : `<${name}${attributes}>${escapeXml(value, 'text')}</${name}>`;
  }

  /** `<name>…</name>` around what `content` writes. */
  element(name: string, content: () => void): void {
    this.xml += `<${name}>`;
    content();
    this.xml += `</${name}>`;
  }

  raw(xml: string): void {
    this.xml += xml;
  }

  toString(): string {
    return this.xml;
  }
}

const METINF = ` xmlns="${METINF_NS}"`;

/** An element name without a prefix (ASCII letters, digits, `_`, `-`, `.`; not from a digit). */
const XML_NAME = /^[A-Za-z_][\w.-]*$/;

function writeLocation(w: Writer, name: 'Target' | 'Source', locUri: string, path: string): void {
  w.element(name, () => w.text('LocURI', locUri, `${path}/${name}`));
}

/** `<Meta>` in the Meta Information DTD's order: Format, Type, then NextNonce (a Chal's). */
function writeMeta(w: Writer, meta: Meta | ChalMeta, path: string): void {
  w.element('Meta', () => {
    if (meta.format !== undefined) w.text('Format', meta.format, `${path}/Meta`, METINF);
    if (meta.type !== undefined) w.text('Type', meta.type, `${path}/Meta`, METINF);
    if ('nextNonce' in meta && meta.nextNonce !== undefined) {
      w.text('NextNonce', meta.nextNonce, `${path}/Meta`, METINF);
    }
  });
}

function writeItems(w: Writer, items: readonly Item[], path: string): void {
  items.forEach((item, index) => {
    const itemPath = `${path}/Item[${index + 1}]`;
    w.element('Item', () => {
      if (item.target !== undefined) writeLocation(w, 'Target', item.target, itemPath);
      if (item.source !== undefined) writeLocation(w, 'Source', item.source, itemPath);
      if (item.meta !== undefined) writeMeta(w, item.meta, itemPath);
      if (item.data !== undefined) w.text('Data', item.data, itemPath);
    });
  });
}

function writeCommands(w: Writer, commands: readonly Command[], parent: string): void {
  const seen = new Map<string, number>();
  for (const command of commands) {
    const name = commandName(command);
    const position = (seen.get(name) ?? 0) + 1;
    seen.set(name, position);
    const path = `${parent}/${name}[${position}]`;
    if (!XML_NAME.test(name))
      throw new SyncMLError(path, `${quote(name)} is not an element name`, 500);
    w.element(name, () => {
      w.text('CmdID', command.cmdId, path);
      switch (command.kind) {
        case 'Unsupported':
          break;
        case 'Alert':
          w.text('Data', command.data, path);
          writeItems(w, command.items, path);
          break;
        case 'Atomic':
        case 'Sequence':
          writeCommands(w, command.commands, path);
          break;
        case 'Status':
          w.text('MsgRef', command.msgRef, path);
          w.text('CmdRef', command.cmdRef, path);
          w.text('Cmd', command.cmd, path);
          if (command.targetRef !== undefined) w.text('TargetRef', command.targetRef, path);
          if (command.sourceRef !== undefined) w.text('SourceRef', command.sourceRef, path);
          if (command.chal !== undefined) {
            const { meta } = command.chal;
            w.element('Chal', () => writeMeta(w, meta, `${path}/Chal`));
          }
          w.text('Data', command.data, path);
          writeItems(w, command.items ?? [], path);
          break;
        case 'Results':
          w.text('MsgRef', command.msgRef, path);
          w.text('CmdRef', command.cmdRef, path);
          writeItems(w, command.items, path);
          break;
        default:
          if (command.meta !== undefined) writeMeta(w, command.meta, path);
          writeItems(w, command.items, path);
      }
    });
  }
}

/**
 * Writes a message as compact SyncML DM 1.2 XML (no XML declaration, no indentation), with the
 * `SYNCML:SYNCML1.2` namespace on the root and `syncml:metinf` on Meta's children.
 *
 * `parseSyncML(serializeSyncML(m))` equals `m` when the header says VerDTD `1.2` and VerProto
 * `DM/1.2`, m's structural values (ids, references, LocURIs, Format, Type, codes, a Cred's Data,
 * a Chal's NextNonce) are non-empty and carry no surrounding whitespace (the reader trims them), a Status has no `items: []` (written as no items, read back as absent) and
 * Get/Add/Replace/Delete/Exec/Results have at least one item (the reader requires one).
 *
 * @throws {@link SyncMLError} when a value holds a character XML 1.0 cannot carry (control
 *   characters other than tab, newline and carriage return; lone surrogates; U+FFFE, U+FFFF), or
 *   when `maxMsgSize` is not a non-negative safe integer.
 */
export function serializeSyncML(message: SyncMLMessage): string {
  const w = new Writer();
  const { header } = message;
  w.raw(`<SyncML xmlns="${SYNCML_NS}">`);
  w.element('SyncHdr', () => {
    w.text('VerDTD', header.verDTD, 'SyncHdr');
    w.text('VerProto', header.verProto, 'SyncHdr');
    w.text('SessionID', header.sessionId, 'SyncHdr');
    w.text('MsgID', header.msgId, 'SyncHdr');
    writeLocation(w, 'Target', header.target, 'SyncHdr');
    writeLocation(w, 'Source', header.source, 'SyncHdr');
    const { cred, maxMsgSize } = header;
    if (cred !== undefined) {
      w.element('Cred', () => {
        if (cred.meta !== undefined) writeMeta(w, cred.meta, 'SyncHdr/Cred');
        w.text('Data', cred.data, 'SyncHdr/Cred');
      });
    }
    if (maxMsgSize !== undefined) {
      if (!Number.isSafeInteger(maxMsgSize) || maxMsgSize < 0) {
        throw new SyncMLError(
          'SyncHdr/Meta/MaxMsgSize',
          `expected a whole number, got ${maxMsgSize}`,
          500,
        );
      }
      w.element('Meta', () => w.text('MaxMsgSize', String(maxMsgSize), 'SyncHdr/Meta', METINF));
    }
  });
  w.element('SyncBody', () => {
    writeCommands(w, message.commands, 'SyncBody');
    if (message.final) w.raw('<Final/>');
  });
  w.raw('</SyncML>');
  return w.toString();
}
