import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DmpushError } from '../../src/core/errors.js';
import {
  parseProvisioningDoc,
  ProvisioningDocError,
  serializeProvisioningDoc,
  type ProvisioningDoc,
  type WapCharacteristic,
  type WapParm,
} from '../../src/core/enroll/provisioning-doc.js';

/** The document of MS-MDE2 §4.3's sample response, shortened (certificates elided). */
const SAMPLE = `<wap-provisioningdoc version="1.1">
  <characteristic type="CertificateStore">
    <characteristic type="Root">
      <characteristic type="System">
        <characteristic type="031336C933CC7E228B88880D78824FB2909A0A2F">
          <parm name="EncodedCertificate" value="B64 encoded cert insert here" />
        </characteristic>
      </characteristic>
    </characteristic>
  </characteristic>
  <characteristic type="APPLICATION">
    <parm name="APPID" value="w7"/>
    <parm name="PROVIDER-ID" value="TestMDMServer"/>
    <parm name="ADDR" value="https://DM.contoso.com:443/omadm/WindowsPhone.ashx"/>
    <characteristic type="APPAUTH">
      <parm name="AAUTHLEVEL" value="CLIENT"/>
      <parm name="AAUTHTYPE" value="DIGEST"/>
      <parm name="AAUTHSECRET" value="password1"/>
      <parm name="AAUTHDATA" value="B64encodedBinaryNonceInsertedHere"/>
    </characteristic>
  </characteristic>
  <characteristic type="DMClient">
    <characteristic type="Provider">
      <characteristic type="TestMDMServer">
        <parm name="EntDMID" value="dev1" datatype="string"/>
      </characteristic>
    </characteristic>
  </characteristic>
</wap-provisioningdoc>`;

describe('parseProvisioningDoc', () => {
  it('reads the sample document: nested characteristics, parms with value and datatype', () => {
    const doc = parseProvisioningDoc(SAMPLE);
    expect(doc.version).toBe('1.1');
    expect(doc.characteristics.map((c) => c.type)).toEqual([
      'CertificateStore',
      'APPLICATION',
      'DMClient',
    ]);
    const app = doc.characteristics[1]!;
    expect(app.parms[0]).toEqual({ name: 'APPID', value: 'w7' });
    expect(app.children[0]!.parms.map((p) => p.name)).toEqual([
      'AAUTHLEVEL',
      'AAUTHTYPE',
      'AAUTHSECRET',
      'AAUTHDATA',
    ]);
    const provider = doc.characteristics[2]!.children[0]!.children[0]!;
    expect(provider.parms).toEqual([{ name: 'EntDMID', value: 'dev1', datatype: 'string' }]);
    const root = doc.characteristics[0]!.children[0]!.children[0]!.children[0]!;
    expect(root.type).toBe('031336C933CC7E228B88880D78824FB2909A0A2F');
  });

  it('keeps a parm without value as a flag (no value key)', () => {
    const doc = parseProvisioningDoc(
      '<wap-provisioningdoc version="1.1"><characteristic type="X"><parm name="F"/></characteristic></wap-provisioningdoc>',
    );
    expect(doc.characteristics[0]!.parms[0]).toStrictEqual({ name: 'F' });
  });

  it.each([
    [
      '<wap-provisioningdoc version="1"><characteristic type="a"/><characteristic type="b"><parm value="x"/></characteristic></wap-provisioningdoc>',
      'wap-provisioningdoc/characteristic[2]/parm[1]: missing name',
    ],
    [
      '<wap-provisioningdoc version="1"><characteristic><parm name="x"/></characteristic></wap-provisioningdoc>',
      'wap-provisioningdoc/characteristic[1]: missing type',
    ],
    ['<wap-provisioningdoc/>', 'wap-provisioningdoc: missing version'],
    [
      '<wap-provisioningdoc version="1"><parm name="x"/></wap-provisioningdoc>',
      'wap-provisioningdoc/parm[1]: unexpected element (expected characteristic)',
    ],
    [
      '<wap-provisioningdoc version="1"><characteristic type="a"><nocharacteristic type="b"/></characteristic></wap-provisioningdoc>',
      'wap-provisioningdoc/characteristic[1]/nocharacteristic[1]: unexpected element (expected parm or characteristic)',
    ],
    [
      '<wap-provisioningdoc version="1"><characteristic type="a">text</characteristic></wap-provisioningdoc>',
      'wap-provisioningdoc/characteristic[1]: unexpected text',
    ],
    ['<SyncML/>', 'expected a wap-provisioningdoc root element, got SyncML'],
    ['<wap-provisioningdoc version="1">', 'malformed XML'],
  ])('refuses %s', (xml, message) => {
    const error = (() => {
      try {
        parseProvisioningDoc(xml);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ProvisioningDocError);
    expect(error).toBeInstanceOf(DmpushError);
    expect((error as ProvisioningDocError).code).toBe('E_PROVISIONING_DOC');
    expect((error as Error).message).toContain(message);
  });

  it('refuses a DOCTYPE internal subset (no entity expansion)', () => {
    const bomb =
      '<!DOCTYPE wap-provisioningdoc [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' +
      '<wap-provisioningdoc version="&b;"/>';
    expect(() => parseProvisioningDoc(bomb)).toThrow(/DOCTYPE/);
  });

  it('reads a DOCTYPE without an internal subset (OMA CP documents may name the PROV DTD)', () => {
    const doc = parseProvisioningDoc(
      '<!DOCTYPE wap-provisioningdoc PUBLIC "-//WAPFORUM//DTD PROV 1.0//EN" "http://www.wapforum.org/DTD/prov.dtd">' +
        '<wap-provisioningdoc version="1.1"/>',
    );
    expect(doc).toEqual({ version: '1.1', characteristics: [] });
  });

  it('refuses documents over the size and depth limits', () => {
    expect(() => parseProvisioningDoc(SAMPLE, { maxBytes: 100 })).toThrow(/maxBytes limit of 100/);
    let deep = '';
    for (let i = 0; i < 20; i++) deep += '<characteristic type="x">';
    for (let i = 0; i < 20; i++) deep += '</characteristic>';
    expect(() =>
      parseProvisioningDoc(`<wap-provisioningdoc version="1">${deep}</wap-provisioningdoc>`),
    ).toThrow(/maxDepth limit of 16/);
  });
});

describe('serializeProvisioningDoc', () => {
  it('escapes attribute values, including tab, newline and carriage return', () => {
    const xml = serializeProvisioningDoc({
      version: '1.1',
      characteristics: [
        { type: 'a"<&>\'', parms: [{ name: 'n', value: 'x\ty\nz\r' }], children: [] },
      ],
    });
    expect(xml).toBe(
      '<wap-provisioningdoc version="1.1"><characteristic type="a&quot;&lt;&amp;&gt;&apos;">' +
        '<parm name="n" value="x&#9;y&#10;z&#13;"/></characteristic></wap-provisioningdoc>',
    );
  });

  it('writes value="true" as an attribute with its value', () => {
    const xml = serializeProvisioningDoc({
      version: '1.1',
      characteristics: [{ type: 'a', parms: [{ name: 'n', value: 'true' }], children: [] }],
    });
    expect(xml).toContain('<parm name="n" value="true"/>');
  });

  it('refuses characters XML 1.0 cannot carry, naming where', () => {
    expect(() =>
      serializeProvisioningDoc({
        version: '1.1',
        characteristics: [
          { type: 'a', parms: [], children: [] },
          { type: 'b', parms: [{ name: 'n' }, { name: 'm', value: 'x\u0000' }], children: [] },
        ],
      }),
    ).toThrow('wap-provisioningdoc/characteristic[2]/parm[2]: value: U+0000 cannot be written');
  });
});

/** Text XML 1.0 can carry, biased towards characters that need escaping. */
const xmlText = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom('&', '<', '>', '"', "'", '\n', '\t', '\r', ' ', ';', '#', 'é', '😀'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    maxLength: 12,
  })
  .filter((s) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s));

const parm: fc.Arbitrary<WapParm> = fc.record(
  { name: xmlText, value: xmlText, datatype: xmlText },
  { requiredKeys: ['name'], noNullPrototype: true },
);

/** Characteristics nested at most `depth` deep (the parser's default limit is 16 with the root). */
function characteristic(depth: number): fc.Arbitrary<WapCharacteristic> {
  return fc.record(
    {
      type: xmlText,
      parms: fc.array(parm, { maxLength: 3 }),
      children:
        depth <= 1 ? fc.constant([]) : fc.array(characteristic(depth - 1), { maxLength: 2 }),
    },
    { noNullPrototype: true },
  );
}

const doc: fc.Arbitrary<ProvisioningDoc> = fc.record(
  {
    version: xmlText,
    characteristics: fc.array(characteristic(4), { maxLength: 3 }),
  },
  { noNullPrototype: true },
);

describe('round trip', () => {
  it('serialize then parse gives the same document', () => {
    fc.assert(
      fc.property(doc, (d) => {
        expect(parseProvisioningDoc(serializeProvisioningDoc(d))).toStrictEqual(d);
      }),
      { numRuns: 300 },
    );
  });
});
