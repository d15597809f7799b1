/**
 * The SyncML DM 1.2 XML codec: {@link parseSyncML} reads an HTTP body into a {@link SyncMLMessage},
 * {@link serializeSyncML} writes one back. XML itself is read by `fast-xml-parser`; this module
 * only configures it, guards it against hostile input and maps its tree onto the message types.
 *
 * Decisions a reader of SyncML needs to know:
 *
 * - **Entities.** The five predefined entities (`&lt;` `&gt;` `&amp;` `&quot;` `&apos;`) and
 *   numeric character references are decoded, in text and attribute values. Nothing else is:
 *   a DOCTYPE with an internal subset is rejected before the XML is even read (so entity bombs
 *   cost nothing), an external DOCTYPE is ignored, and any other `&name;` is an error. The decoding
 *   is done by the small `XML_ENTITIES` decoder plugged into the library, because the
 *   library's own decoder leaves numeric references alone unless HTML entities are switched on.
 * - **Whitespace.** Values of structural elements (VerDTD, MsgID, CmdID, LocURI, Format, the
 *   Status code…) are trimmed. `<Data>` text is kept exactly as sent, surrounding spaces and
 *   newlines included (`<Data> a b </Data>` is `' a b '`): payloads such as `chr` nodes may carry
 *   meaningful whitespace. Whitespace-only text between elements is pretty printing and ignored.
 * - **Data holding elements.** Servers sometimes put XML inside `<Data>` unescaped (Format
 *   `xml`). Such Data is turned back into an XML string: its elements, attributes and text are
 *   re-serialized (comments and processing instructions dropped), and whitespace-only text before
 *   the first and after the last child element is dropped as pretty printing. The message then
 *   serializes it escaped, which any XML reader reads back as the same string.
 * - **CDATA** sections are read as text (not entity-decoded). Windows' client does not support
 *   them, so the serializer never writes any.
 * - **Strictness.** Element order inside a command is not checked, but every required element
 *   must be there, no element may repeat (except Item and commands), and elements the codec does
 *   not know are errors; a few that Windows' client and servers send but the model does not carry
 *   (NoResp, RespURI, LocName, Cred inside commands, Correlator, the Meta of
 *   Atomic/Sequence/Results, TargetRef/SourceRef/Cmd in Results, metinf fields other than
 *   Format/Type/MaxMsgSize and a Chal's NextNonce) are read over. The SyncHdr's `Cred` and a
 *   Status's `Chal` are carried (`auth.ts` builds and reads them). Namespace prefixes on element
 *   names are ignored (`<A:Format xmlns:A="syncml:metinf">` is a Format).
 * - **Commands the device does not run.** An element under SyncBody, Atomic or Sequence that is
 *   not a command Windows' client runs (`Copy`, `Map`, `Search`, any unknown name; inside Atomic or
 *   Sequence also Status, Results, Final) is not an error: it is kept as an `Unsupported` command
 *   (its name and CmdID) so the device answers it 400 and runs the rest ("OMA DM protocol
 *   support": "the status code 400 is returned for that element"). Its content is not read; the
 *   size and depth limits still bound it. A malformed known command is still an error.
 *
 * Files: `xml-reader.ts` (limits, well-formedness, entities, the element tree), `fields.ts`
 * (elements located by path, fields, texts), `parse.ts` (the message), `serialize.ts` (writing),
 * `xml-text.ts` (characters and escaping), `limits.ts`, `errors.ts`.
 */
export { parseSyncML } from './parse.js';
export { serializeSyncML } from './serialize.js';
export { SyncMLError } from './errors.js';
export type { SyncMLLimits } from './limits.js';
