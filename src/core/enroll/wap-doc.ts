/**
 * A `wap-provisioningdoc` (OMA Client Provisioning, as Windows uses it in the enrollment response:
 * MS-MDE2 §3.4, "w7 APPLICATION CSP", "CertificateStore CSP"), as plain data: nested
 * `characteristic` elements (a `type` each) holding `parm` elements (`name`, `value`, optional
 * `datatype`). Parsing and serializing live in `provisioning-doc.ts`; applying a document to a
 * device's DM tree in `../dm/provisioning-apply.ts`.
 */

/** `<parm name="…" value="…" datatype="…"/>`. */
export interface WapParm {
  readonly name: string;
  /** The `value` attribute; absent when the parm has none (a flag such as `<parm name="X"/>`). */
  readonly value?: string;
  /** The `datatype` attribute (`integer`, `boolean`, `string`…), when given. */
  readonly datatype?: string;
}

/** `<characteristic type="…">`: its parms and nested characteristics, in document order. */
export interface WapCharacteristic {
  readonly type: string;
  readonly parms: readonly WapParm[];
  readonly children: readonly WapCharacteristic[];
}

/** `<wap-provisioningdoc version="…">`: its top-level characteristics, in document order. */
export interface ProvisioningDoc {
  readonly version: string;
  readonly characteristics: readonly WapCharacteristic[];
}
