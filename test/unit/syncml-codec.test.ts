import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSyncML, serializeSyncML, SyncMLError } from '../../src/core/syncml/codec.js';
import type {
  Command,
  ContainerCommand,
  Item,
  Meta,
  NodeCommand,
  StatusCommand,
  SyncHdr,
  SyncMLMessage,
} from '../../src/core/syncml/message.js';

const RUNS = 300;

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/syncml/${name}`, import.meta.url), 'utf8');
}

const HDR =
  '<SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto><SessionID>1</SessionID>' +
  '<MsgID>1</MsgID><Target><LocURI>https://mdm.example.com/dm</LocURI></Target>' +
  '<Source><LocURI>DEV1</LocURI></Source></SyncHdr>';

/** A message with the given SyncBody content. */
function doc(body: string, root = '<SyncML xmlns="SYNCML:SYNCML1.2">', hdr = HDR): string {
  return `${root}${hdr}<SyncBody>${body}</SyncBody></SyncML>`;
}

/** A message whose only command is an Exec with one item holding `data` (raw XML). */
function withData(data: string): string {
  return doc(`<Exec><CmdID>2</CmdID><Item><Data>${data}</Data></Item></Exec>`);
}

function dataOf(message: SyncMLMessage): string | undefined {
  const [command] = message.commands;
  return command?.kind === 'Exec' ? command.items[0]?.data : undefined;
}

/** The SyncMLError `parseSyncML` throws (fails the test if it throws anything else or nothing). */
function parseError(xml: string, limits?: Parameters<typeof parseSyncML>[1]): SyncMLError {
  try {
    parseSyncML(xml, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(SyncMLError);
    return error as SyncMLError;
  }
  throw new Error('expected a SyncMLError');
}

describe('fixtures', () => {
  it('device package 1: Alert 1201, Alert 1224 LoginStatus user, Replace of DevInfo, Final', () => {
    const m = parseSyncML(fixture('device-package1.xml'));
    expect(m.header).toStrictEqual({
      verDTD: '1.2',
      verProto: 'DM/1.2',
      sessionId: '1A',
      msgId: '1',
      target: 'https://mdm.contoso.com/ManagementServer/MDM.svc?mode=Maintenance&Platform=WoA',
      source: '8F2C7E4B9A1D4F3E8C6B5A4D3E2F1A0B',
      maxMsgSize: 65536,
    });
    expect(m.final).toBe(true);
    expect(m.commands.map((c) => c.kind)).toStrictEqual(['Alert', 'Alert', 'Replace']);
    expect(m.commands[0]).toStrictEqual({ kind: 'Alert', cmdId: '2', data: '1201', items: [] });
    expect(m.commands[1]).toStrictEqual({
      kind: 'Alert',
      cmdId: '3',
      data: '1224',
      items: [{ meta: { type: 'com.microsoft/MDM/LoginStatus' }, data: 'user' }],
    });
    const replace = m.commands[2] as NodeCommand;
    expect(replace.cmdId).toBe('4');
    expect(replace.items.map((i) => i.source)).toStrictEqual([
      './DevInfo/DevId',
      './DevInfo/Man',
      './DevInfo/Mod',
      './DevInfo/DmV',
      './DevInfo/Lang',
    ]);
    expect(replace.items[1]).toStrictEqual({ source: './DevInfo/Man', data: 'Contoso Ltd.' });
  });

  it('server package 2: Statuses, Get, Add, Replace, Delete, Exec, Atomic, Sequence, Final', () => {
    const m = parseSyncML(fixture('server-package2.xml'));
    expect(m.header.maxMsgSize).toBeUndefined();
    expect('maxMsgSize' in m.header).toBe(false);
    expect(m.final).toBe(true);
    expect(m.commands.map((c) => c.kind)).toStrictEqual([
      'Status',
      'Status',
      'Status',
      'Status',
      'Get',
      'Add',
      'Replace',
      'Delete',
      'Exec',
      'Atomic',
      'Sequence',
    ]);
    expect(m.commands[0]).toStrictEqual({
      kind: 'Status',
      cmdId: '1',
      msgRef: '1',
      cmdRef: '0',
      cmd: 'SyncHdr',
      data: '200',
    });
    expect(m.commands.slice(1, 4).map((c) => (c as StatusCommand).cmdRef)).toStrictEqual([
      '2',
      '3',
      '4',
    ]);
    expect(m.commands[5]).toStrictEqual({
      kind: 'Add',
      cmdId: '6',
      items: [
        {
          target: './Vendor/MSFT/DMClient/Provider/ContosoMDM/Poll/IntervalForFirstSetOfRetries',
          meta: { format: 'int' },
          data: '15',
        },
      ],
    });
    expect((m.commands[6] as NodeCommand).items[0]?.meta).toStrictEqual({
      format: 'chr',
      type: 'text/plain',
    });
    expect((m.commands[8] as NodeCommand).items[0]?.data).toBe(
      '<MsiInstallJob id="{1803A630-3C38-4D2B-9B9A-0CB37243539C}"><Product Version="1.0.0.0"/></MsiInstallJob>',
    );
    const atomic = m.commands[9] as ContainerCommand;
    expect(atomic.cmdId).toBe('10');
    expect(atomic.commands).toStrictEqual([
      {
        kind: 'Add',
        cmdId: '11',
        meta: { format: 'int' },
        items: [
          { target: './Vendor/MSFT/Policy/Config/Update/ActiveHoursStart', data: '8' },
          { target: './Vendor/MSFT/Policy/Config/Update/ActiveHoursEnd', data: '17' },
        ],
      },
      {
        kind: 'Replace',
        cmdId: '12',
        items: [
          {
            target: './Vendor/MSFT/Policy/Config/DeviceLock/DevicePasswordEnabled',
            meta: { format: 'int' }, // written with a namespace prefix: <A:Format xmlns:A=…>
            data: '0',
          },
        ],
      },
    ]);
    const sequence = m.commands[10] as ContainerCommand;
    expect(sequence.commands.map((c) => `${c.kind} ${c.cmdId}`)).toStrictEqual([
      'Get 14',
      'Exec 15',
    ]);
  });

  it('device package 3: Statuses and Results', () => {
    const m = parseSyncML(fixture('device-package3.xml'));
    const statuses = m.commands.filter((c): c is StatusCommand => c.kind === 'Status');
    expect(statuses).toHaveLength(12);
    expect(statuses[0]).toMatchObject({ cmdRef: '0', cmd: 'SyncHdr', data: '200' });
    expect(statuses[1]).toStrictEqual({
      kind: 'Status',
      cmdId: '2',
      msgRef: '1',
      cmdRef: '5',
      cmd: 'Get',
      targetRef: './DevDetail/SwV',
      data: '200',
    });
    expect(statuses[4]).toMatchObject({ cmd: 'Delete', data: '404' });
    const results = m.commands.filter((c) => c.kind === 'Results');
    expect(results).toStrictEqual([
      {
        kind: 'Results',
        cmdId: '13',
        msgRef: '1',
        cmdRef: '5',
        items: [
          {
            source: './DevDetail/SwV',
            meta: { format: 'chr', type: 'text/plain' },
            data: '10.0.22631.3880',
          },
        ],
      },
      {
        kind: 'Results',
        cmdId: '14',
        msgRef: '1',
        cmdRef: '14',
        items: [
          {
            source: './DevDetail/Ext/Microsoft/DeviceName',
            meta: { format: 'chr' },
            data: 'DESKTOP-7Q2K9LM',
          },
        ],
      },
    ]);
    expect(m.final).toBe(true);
  });

  it('server end message: only the SyncHdr Status and Final', () => {
    const m = parseSyncML(fixture('server-end.xml'));
    expect(m.commands).toStrictEqual([
      { kind: 'Status', cmdId: '1', msgRef: '2', cmdRef: '0', cmd: 'SyncHdr', data: '200' },
    ]);
    expect(m.final).toBe(true);
  });

  it.each(['device-package1.xml', 'server-package2.xml', 'device-package3.xml', 'server-end.xml'])(
    '%s survives serializing and parsing again',
    (name) => {
      const m = parseSyncML(fixture(name));
      expect(parseSyncML(serializeSyncML(m))).toStrictEqual(m);
    },
  );
});

describe('serializeSyncML', () => {
  it('writes compact XML with the SyncML and metinf namespaces', () => {
    const message: SyncMLMessage = {
      header: {
        verDTD: '1.2',
        verProto: 'DM/1.2',
        sessionId: '5',
        msgId: '1',
        target: 'https://x/?a=1&b=2',
        source: 'DEV',
        maxMsgSize: 4096,
      },
      commands: [
        { kind: 'Alert', cmdId: '1', data: '1201', items: [] },
        {
          kind: 'Replace',
          cmdId: '2',
          meta: { format: 'chr' },
          items: [{ target: './A', meta: { type: 'text/plain' }, data: `<x a="1">'&'</x>` }],
        },
        { kind: 'Get', cmdId: '3', items: [{ target: './B', data: '' }] },
      ],
      final: true,
    };
    expect(serializeSyncML(message)).toBe(
      '<SyncML xmlns="SYNCML:SYNCML1.2"><SyncHdr><VerDTD>1.2</VerDTD><VerProto>DM/1.2</VerProto>' +
        '<SessionID>5</SessionID><MsgID>1</MsgID><Target><LocURI>https://x/?a=1&amp;b=2</LocURI>' +
        '</Target><Source><LocURI>DEV</LocURI></Source><Meta><MaxMsgSize xmlns="syncml:metinf">' +
        '4096</MaxMsgSize></Meta></SyncHdr><SyncBody><Alert><CmdID>1</CmdID><Data>1201</Data>' +
        '</Alert><Replace><CmdID>2</CmdID><Meta><Format xmlns="syncml:metinf">chr</Format></Meta>' +
        '<Item><Target><LocURI>./A</LocURI></Target><Meta><Type xmlns="syncml:metinf">text/plain' +
        '</Type></Meta><Data>&lt;x a=&quot;1&quot;&gt;&apos;&amp;&apos;&lt;/x&gt;</Data></Item>' +
        '</Replace><Get><CmdID>3</CmdID><Item><Target><LocURI>./B</LocURI></Target><Data/></Item>' +
        '</Get><Final/></SyncBody></SyncML>',
    );
  });

  it('writes a carriage return as a reference so that it survives line-end normalisation', () => {
    const m = parseSyncML(withData('x'));
    const exec = m.commands[0] as NodeCommand;
    const withCr: SyncMLMessage = {
      ...m,
      commands: [{ ...exec, items: [{ data: 'a\r\nb\rc\n' }] }],
    };
    const xml = serializeSyncML(withCr);
    expect(xml).toContain('<Data>a&#13;\nb&#13;c\n</Data>');
    expect(dataOf(parseSyncML(xml))).toBe('a\r\nb\rc\n');
    // A raw CR LF, on the other hand, is read as a newline, as XML requires.
    expect(dataOf(parseSyncML(withData('a\r\nb')))).toBe('a\nb');
  });

  it('refuses characters XML 1.0 cannot carry, naming where they are', () => {
    const m = parseSyncML(withData('x'));
    const exec = m.commands[0] as NodeCommand;
    const bad: SyncMLMessage = { ...m, commands: [{ ...exec, items: [{ data: 'a\u0001' }] }] };
    expect(() => serializeSyncML(bad)).toThrow(SyncMLError);
    expect(() => serializeSyncML(bad)).toThrow('SyncBody/Exec[1]/Item[1]/Data: U+0001');
    const loneSurrogate: SyncMLMessage = { ...m, header: { ...m.header, source: '\uD800' } };
    expect(() => serializeSyncML(loneSurrogate)).toThrow('SyncHdr/Source/LocURI: U+D800');
    const badSize: SyncMLMessage = { ...m, header: { ...m.header, maxMsgSize: 1.5 } };
    expect(() => serializeSyncML(badSize)).toThrow('SyncHdr/Meta/MaxMsgSize');
  });
});

describe('text and entities', () => {
  it('keeps values as strings (no number parsing)', () => {
    const m = parseSyncML(
      doc('<Alert><CmdID>007</CmdID><Data>1201</Data><Item><Data>007</Data></Item></Alert>'),
    );
    expect(m.header.msgId).toBe('1');
    expect(m.commands[0]).toStrictEqual({
      kind: 'Alert',
      cmdId: '007',
      data: '1201',
      items: [{ data: '007' }],
    });
  });

  it('trims structural values but keeps Data exactly', () => {
    const hdr = HDR.replace('<MsgID>1</MsgID>', '<MsgID>\n  1 \n</MsgID>');
    const m = parseSyncML(
      doc(
        '<Exec><CmdID> 2 </CmdID><Item><Target><LocURI>\n ./A \n</LocURI></Target>' +
          '<Meta><Format xmlns="syncml:metinf"> chr </Format></Meta><Data> a b </Data></Item></Exec>',
        undefined,
        hdr,
      ),
    );
    expect(m.header.msgId).toBe('1');
    expect(m.commands[0]).toStrictEqual({
      kind: 'Exec',
      cmdId: '2',
      items: [{ target: './A', meta: { format: 'chr' }, data: ' a b ' }],
    });
    expect(dataOf(parseSyncML(withData('\n  two\n  lines\n')))).toBe('\n  two\n  lines\n');
    expect(dataOf(parseSyncML(withData('   ')))).toBe('   ');
  });

  it('reads an empty Data as the empty string and a missing one as absent', () => {
    expect(dataOf(parseSyncML(withData('')))).toBe('');
    const selfClosing = parseSyncML(doc('<Exec><CmdID>2</CmdID><Item><Data/></Item></Exec>'));
    expect(dataOf(selfClosing)).toBe('');
    const none = parseSyncML(
      doc('<Get><CmdID>2</CmdID><Item><Target><LocURI>./A</LocURI></Target></Item></Get>'),
    );
    expect((none.commands[0] as NodeCommand).items[0]).toStrictEqual({ target: './A' });
  });

  it('decodes the predefined entities and character references', () => {
    expect(dataOf(parseSyncML(withData('&lt;a b=&quot;c&quot;&gt;&amp;&apos;&lt;/a&gt;')))).toBe(
      `<a b="c">&'</a>`,
    );
    expect(dataOf(parseSyncML(withData('&#65;&#x42;&#x1F600;&amp;amp;')))).toBe('AB😀&amp;');
    const hdr = HDR.replace('https://mdm.example.com/dm', 'https://h/?a=1&amp;b=&#50;');
    expect(parseSyncML(doc('', undefined, hdr)).header.target).toBe('https://h/?a=1&b=2');
  });

  it('reads CDATA as literal text', () => {
    expect(dataOf(parseSyncML(withData('<![CDATA[<x>&amp;</x>]]>')))).toBe('<x>&amp;</x>');
  });

  it('rejects undefined entities, bare ampersands and references to forbidden characters', () => {
    expect(parseError(withData('&nbsp;')).message).toContain('undefined entity &nbsp;');
    expect(parseError(withData('&constructor;')).message).toContain('undefined entity');
    expect(parseError(withData('&__proto__;')).message).toContain('undefined entity');
    expect(parseError(withData('a & b')).message).toContain("'&' is not expected");
    expect(parseError(withData('&#0;')).message).toContain('&#0; is not a character');
    expect(parseError(withData('&#x110000;')).message).toContain('is not a character');
    expect(parseError(withData('\u0007')).message).toContain('U+0007');
  });

  it('turns elements inside Data back into XML, dropping surrounding pretty printing', () => {
    const data = dataOf(
      parseSyncML(
        withData(
          '\n  <MsiInstallJob id="a&amp;&quot;b">\n    <Product Version="1.0">x &lt; y</Product>' +
            '<Empty/><!-- gone --></MsiInstallJob>\n',
        ),
      ),
    );
    expect(data).toBe(
      '<MsiInstallJob id="a&amp;&quot;b">\n    <Product Version="1.0">x &lt; y</Product>' +
        '<Empty/></MsiInstallJob>',
    );
    // Mixed content keeps its text.
    expect(dataOf(parseSyncML(withData(' a <b/> c ')))).toBe(' a <b/> c ');
  });
});

describe('structure', () => {
  it('accepts the SyncML namespace in any case, or none, and ignores an external DOCTYPE', () => {
    for (const root of [
      '<SyncML>',
      '<SyncML xmlns="syncml:syncml1.2">',
      "<SyncML xmlns='SYNCML:SYNCML1.2'>",
    ]) {
      expect(parseSyncML(doc('<Final/>', root)).final).toBe(true);
    }
    const doctype =
      '<?xml version="1.0"?><!DOCTYPE SyncML PUBLIC "-//SYNCML//DTD SyncML 1.2//EN" ' +
      '"http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd">';
    expect(parseSyncML(doctype + doc('')).commands).toStrictEqual([]);
  });

  it('rejects another root or namespace', () => {
    expect(parseError('<Envelope/>').message).toBe('expected root element SyncML, got Envelope');
    expect(parseError(doc('', '<SyncML xmlns="SYNCML:SYNCML1.1">')).message).toBe(
      'SyncML: expected namespace SYNCML:SYNCML1.2, got "SYNCML:SYNCML1.1"',
    );
  });

  it('checks the header', () => {
    expect(
      parseError(doc('', undefined, HDR.replace('1.2</VerDTD>', '1.1</VerDTD>'))).message,
    ).toBe('SyncHdr/VerDTD: expected 1.2, got "1.1"');
    expect(parseError(doc('', undefined, HDR.replace('DM/1.2', 'DS/1.2'))).message).toBe(
      'SyncHdr/VerProto: expected DM/1.2, got "DS/1.2"',
    );
    const noTarget = HDR.replace(/<Target>.*<\/Target>/, '');
    expect(parseError(doc('', undefined, noTarget)).message).toBe(
      'SyncHdr: expected Target/LocURI, got nothing',
    );
    const noSession = HDR.replace('<SessionID>1</SessionID>', '');
    expect(parseError(doc('', undefined, noSession)).message).toBe(
      'SyncHdr: expected SessionID, got nothing',
    );
    const badSize = HDR.replace(
      '</SyncHdr>',
      '<Meta><MaxMsgSize xmlns="syncml:metinf">lots</MaxMsgSize></Meta></SyncHdr>',
    );
    expect(parseError(doc('', undefined, badSize)).message).toBe(
      'SyncHdr/Meta/MaxMsgSize: expected a whole number of bytes, got "lots"',
    );
    const withCred = HDR.replace(
      '</SyncHdr>',
      '<Cred><Meta><Format xmlns="syncml:metinf">b64</Format></Meta><Data>eA==</Data></Cred></SyncHdr>',
    );
    expect(parseSyncML(doc('', undefined, withCred)).header).toStrictEqual({
      ...parseSyncML(doc('')).header,
      cred: { meta: { format: 'b64' }, data: 'eA==' },
    });
  });

  it('keeps a command to run without CmdID (or with an empty one) as unsupported, CmdID blank', () => {
    const get = '<Get><CmdID>2</CmdID><Item><Target><LocURI>./A</LocURI></Target></Item></Get>';
    expect(parseSyncML(doc(`${get}<Get><Item/></Get>`)).commands[1]).toEqual({
      kind: 'Unsupported',
      name: 'Get',
      cmdId: '',
    });
    expect(
      parseSyncML(doc('<Atomic><Add><CmdID>3</CmdID><Item/></Add></Atomic>')).commands,
    ).toEqual([{ kind: 'Unsupported', name: 'Atomic', cmdId: '' }]);
    expect(
      parseSyncML(doc('<Sequence><CmdID>2</CmdID><Add><CmdID> </CmdID><Item/></Add></Sequence>'))
        .commands,
    ).toEqual([
      { kind: 'Sequence', cmdId: '2', commands: [{ kind: 'Unsupported', name: 'Add', cmdId: '' }] },
    ]);
    // A Status needs its CmdID: the server's Statuses are read, not answered.
    expect(parseError(doc('<Status><MsgRef>1</MsgRef></Status>')).message).toBe(
      'SyncBody/Status[1]: expected CmdID, got nothing',
    );
  });

  it('names the item when its Target has no LocURI', () => {
    const get = '<Get><CmdID>2</CmdID><Item><Target><LocURI>./A</LocURI></Target></Item></Get>';
    expect(parseError(doc(`${get}<Get><CmdID>3</CmdID><Item><Target/></Item></Get>`)).message).toBe(
      'SyncBody/Get[2]/Item[1]: expected Target/LocURI, got nothing',
    );
  });

  it('keeps elements that are not commands the device runs, with their CmdID', () => {
    expect(parseSyncML(doc('<Copy><CmdID>2</CmdID></Copy>')).commands).toEqual([
      { kind: 'Unsupported', name: 'Copy', cmdId: '2' },
    ]);
    expect(parseSyncML(doc('<Map><Source/></Map><x:Search xmlns:x="u"/>')).commands).toEqual([
      { kind: 'Unsupported', name: 'Map', cmdId: '' },
      { kind: 'Unsupported', name: 'Search', cmdId: '' },
    ]);
    expect(
      parseSyncML(doc('<Atomic><CmdID>2</CmdID><Status><CmdID>3</CmdID></Status></Atomic>'))
        .commands,
    ).toEqual([
      {
        kind: 'Atomic',
        cmdId: '2',
        commands: [{ kind: 'Unsupported', name: 'Status', cmdId: '3' }],
      },
    ]);
    expect(
      parseSyncML(
        doc('<Sequence><CmdID>2</CmdID><Final/><Copy><CmdID><a/></CmdID></Copy></Sequence>'),
      ).commands,
    ).toEqual([
      {
        kind: 'Sequence',
        cmdId: '2',
        commands: [
          { kind: 'Unsupported', name: 'Final', cmdId: '' },
          { kind: 'Unsupported', name: 'Copy', cmdId: '' },
        ],
      },
    ]);
  });

  it('writes an unsupported element back with its CmdID, and refuses a name that is not one', () => {
    const m = parseSyncML(doc('<Copy><CmdID>7</CmdID></Copy>'));
    expect(serializeSyncML(m)).toContain('<Copy><CmdID>7</CmdID></Copy>');
    expect(parseSyncML(serializeSyncML(m))).toEqual(m);
    const bad = { ...m, commands: [{ kind: 'Unsupported' as const, name: 'a b', cmdId: '7' }] };
    expect(() => serializeSyncML(bad)).toThrow(/"a b" is not an element name/);
  });

  it('rejects misplaced elements and malformed commands', () => {
    expect(
      parseError(doc('<Final/><Alert><CmdID>2</CmdID><Data>1201</Data></Alert>')).message,
    ).toBe('SyncBody/Final: Final must be the last element of SyncBody');
    expect(parseError(doc('<Get><CmdID>2</CmdID></Get>')).message).toBe(
      'SyncBody/Get[1]: expected Item, got nothing',
    );
    expect(
      parseError(doc('<Alert><CmdID>2</CmdID><CmdID>3</CmdID><Data>1201</Data></Alert>')).message,
    ).toBe('SyncBody/Alert[1]: CmdID appears more than once');
    expect(
      parseError(doc('<Exec><CmdID>2</CmdID><Item><Data>x</Data><MoreData/></Item></Exec>'))
        .message,
    ).toBe('SyncBody/Exec[1]/Item[1]: unexpected element MoreData');
    expect(parseError(doc('stray text')).message).toBe(
      'SyncBody: expected elements, got text "stray text"',
    );
    // A CmdID that is not text is no CmdID: the Alert is answered 400 with a blank CmdRef.
    expect(parseSyncML(doc('<Alert><CmdID><x/></CmdID><Data>1</Data></Alert>')).commands).toEqual([
      { kind: 'Unsupported', name: 'Alert', cmdId: '' },
    ]);
  });

  it('reads over what Windows and servers send but the model does not carry', () => {
    const m = parseSyncML(
      doc(
        '<Status><CmdID>1</CmdID><MsgRef>1</MsgRef><CmdRef>0</CmdRef><Cmd>SyncHdr</Cmd>' +
          '<Chal><Meta><Type xmlns="syncml:metinf">syncml:auth-md5</Type></Meta></Chal>' +
          '<Data>212</Data></Status>' +
          '<Results><CmdID>2</CmdID><MsgRef>1</MsgRef><CmdRef>3</CmdRef><Cmd>Get</Cmd>' +
          '<TargetRef>./A</TargetRef><TargetRef>./B</TargetRef><Item><Source><LocURI>./A</LocURI>' +
          '<LocName>a</LocName></Source><Data>1</Data></Item></Results>' +
          '<Atomic><CmdID>4</CmdID><Meta><Format xmlns="syncml:metinf">chr</Format></Meta>' +
          '<Replace><CmdID>5</CmdID><NoResp/><Item><Meta><Format xmlns="syncml:metinf">int</Format>' +
          '<Size xmlns="syncml:metinf">1</Size></Meta><Data>1</Data></Item></Replace></Atomic>',
      ),
    );
    expect(m.commands).toStrictEqual([
      {
        kind: 'Status',
        cmdId: '1',
        msgRef: '1',
        cmdRef: '0',
        cmd: 'SyncHdr',
        chal: { meta: { type: 'syncml:auth-md5' } },
        data: '212',
      },
      {
        kind: 'Results',
        cmdId: '2',
        msgRef: '1',
        cmdRef: '3',
        items: [{ source: './A', data: '1' }],
      },
      {
        kind: 'Atomic',
        cmdId: '4',
        commands: [
          { kind: 'Replace', cmdId: '5', items: [{ meta: { format: 'int' }, data: '1' }] },
        ],
      },
    ]);
  });

  it('reads a Status with items', () => {
    const m = parseSyncML(
      doc(
        '<Status><CmdID>3</CmdID><MsgRef>1</MsgRef><CmdRef>4</CmdRef><Cmd>Alert</Cmd>' +
          '<SourceRef>./A</SourceRef><Data>200</Data><Item><Data>next</Data></Item></Status>',
      ),
    );
    expect(m.commands[0]).toStrictEqual({
      kind: 'Status',
      cmdId: '3',
      msgRef: '1',
      cmdRef: '4',
      cmd: 'Alert',
      sourceRef: './A',
      data: '200',
      items: [{ data: 'next' }],
    });
  });

  it('rejects malformed XML', () => {
    expect(parseError('').message).toContain('malformed XML');
    expect(parseError('<SyncML><SyncHdr></SyncML>').message).toContain('malformed XML');
    expect(parseError(doc('<Final/>').slice(0, -3)).message).toContain('malformed XML');
    expect(parseError('<SyncML></SyncML><SyncML/>').message).toContain('malformed XML');
    expect(parseError('<SyncML/><SyncML/>').message).toBe(
      'malformed XML: expected one root element, got 2',
    );
  });
});

describe('limits', () => {
  it('rejects a DOCTYPE with an internal subset, quickly, before expanding anything', () => {
    const laughs = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from(
        { length: 9 },
        (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ),
      ']>',
      '<lolz>&lol9;</lolz>',
    ].join('\n');
    const started = performance.now();
    const error = parseError(laughs);
    expect(performance.now() - started).toBeLessThan(250);
    expect(error.message).toBe('DOCTYPE with an internal subset is not accepted');
    expect(parseError(`<!DOCTYPE SyncML [<!ELEMENT SyncML ANY>]>${doc('')}`).message).toBe(
      'DOCTYPE with an internal subset is not accepted',
    );
    // A DOCTYPE hiding behind a commented-out one still cannot declare entities.
    expect(
      parseError(`<!-- <!DOCTYPE a> --><!DOCTYPE b [<!ENTITY e "boom">]>${withData('&e;')}`)
        .message,
    ).toBe('DOCTYPE with an internal subset is not accepted');
  });

  it('rejects documents over maxBytes, counting UTF-8 bytes', () => {
    const base = withData('');
    const ascii = withData('x'.repeat(1_048_576 - base.length));
    expect(dataOf(parseSyncML(ascii))).toHaveLength(1_048_576 - base.length);
    expect(parseError(withData('x'.repeat(1_048_577 - base.length))).message).toBe(
      'document is larger than the maxBytes limit of 1048576 bytes (UTF-8)',
    );
    // 'é' is one UTF-16 unit but two UTF-8 bytes.
    const accents = withData('é'.repeat(100));
    expect(() => parseSyncML(accents, { maxBytes: base.length + 200 })).not.toThrow();
    expect(parseError(accents, { maxBytes: base.length + 199 }).message).toContain('maxBytes');
  });

  it('rejects documents nested deeper than maxDepth', () => {
    // SyncML > SyncBody > Exec > Item > Data is 5 deep.
    const nest = (levels: number, leaf: string): string =>
      '<a>'.repeat(levels) + leaf + '</a>'.repeat(levels);
    expect(() => parseSyncML(withData(nest(27, '')))).not.toThrow();
    expect(() => parseSyncML(withData(nest(26, '<b/>')))).not.toThrow();
    for (const deep of [nest(28, ''), nest(27, '<b/>'), nest(2000, 'x')]) {
      expect(parseError(withData(deep)).message).toBe(
        'elements nest deeper than the maxDepth limit of 32',
      );
    }
    expect(parseError(withData('<a/>'), { maxDepth: 5 }).message).toContain('maxDepth limit of 5');
    expect(() => parseSyncML(withData(''), { maxDepth: 5 })).not.toThrow();
  });

  it('answers quickly on hostile inputs of a megabyte', () => {
    const size = 1_000_000;
    const fill = (unit: string, head = '', tail = ''): string =>
      head + unit.repeat(Math.floor((size - head.length - tail.length) / unit.length)) + tail;
    const inputs = [
      fill('<'),
      fill('<a '),
      fill('<a>'),
      fill('<a/>', '<SyncML>', '</SyncML>'),
      fill('<a></a>', '<SyncML>', '</SyncML>'),
      fill('&', '<a>', '</a>'),
      fill('1', '<a>&#', ';</a>'),
      fill('<!DOCTYPE a'),
      fill('<!DOCTYPE a', '', '>'),
      fill('"', '<!DOCTYPE a '),
      fill('<!--'),
      fill('<![CDATA['),
      fill('<?'),
      fill('a="', '<a '),
      fill(' b="x"', '<a', '>'),
      fill('&lt;', '<SyncML><SyncHdr>', '</SyncHdr></SyncML>'),
    ];
    for (const input of inputs) {
      const started = performance.now();
      expect(() => parseSyncML(input)).toThrow(SyncMLError);
      expect(performance.now() - started).toBeLessThan(3000);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const id = fc.stringMatching(/^[1-9][0-9]{0,3}$/);
const segment = fc.stringMatching(/^[A-Za-z0-9_.~%&=-]{1,10}$/);
const locUri = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((parts) => `./Vendor/MSFT/${parts.join('/')}`);
const url = fc.constantFrom(
  'https://mdm.contoso.com/ManagementServer/MDM.svc?mode=Maintenance&Platform=WoA',
  'https://dm.example.org/omadm',
);
/** Printable text, with XML's special characters and whitespace well represented. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('<', '>', '&', '"', "'", ' ', '\t', '\n', '\r', ']]>', '&amp;', '<!--', 'é'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 30,
});

const record = { noNullPrototype: true } as const;
const meta: fc.Arbitrary<Meta> = fc.record(
  {
    format: fc.constantFrom('chr', 'int', 'bool', 'b64', 'node', 'null', 'xml'),
    type: fc.constantFrom('text/plain', 'com.microsoft/MDM/LoginStatus', 'application/x-nodemon'),
  },
  { ...record, requiredKeys: [] },
);
const item: fc.Arbitrary<Item> = fc.record(
  { target: locUri, source: locUri, meta, data: text },
  { ...record, requiredKeys: [] },
);
const items = (minLength: number): fc.Arbitrary<Item[]> =>
  fc.array(item, { minLength, maxLength: 3 });

const alert: fc.Arbitrary<Command> = fc.record(
  {
    kind: fc.constant('Alert' as const),
    cmdId: id,
    data: fc.constantFrom('1200', '1201', '1224', '1226'),
    items: items(0),
  },
  record,
);
const nodeCommand: fc.Arbitrary<Command> = fc.record(
  {
    kind: fc.constantFrom('Get', 'Add', 'Replace', 'Delete', 'Exec'),
    cmdId: id,
    meta,
    items: items(1),
  },
  { ...record, requiredKeys: ['kind', 'cmdId', 'items'] },
);
const status: fc.Arbitrary<Command> = fc.record(
  {
    kind: fc.constant('Status' as const),
    cmdId: id,
    msgRef: id,
    cmdRef: fc.oneof(fc.constant('0'), id),
    cmd: fc.constantFrom('SyncHdr', 'Alert', 'Get', 'Replace', 'Atomic'),
    targetRef: locUri,
    sourceRef: locUri,
    data: fc.constantFrom('200', '212', '404', '500'),
    items: items(1),
  },
  { ...record, requiredKeys: ['kind', 'cmdId', 'msgRef', 'cmdRef', 'cmd', 'data'] },
);
const results: fc.Arbitrary<Command> = fc.record(
  { kind: fc.constant('Results' as const), cmdId: id, msgRef: id, cmdRef: id, items: items(1) },
  record,
);
/** Commands allowed inside Atomic and Sequence, containers nesting up to `depth` deep. */
function innerCommand(depth: number): fc.Arbitrary<Command> {
  if (depth === 0) return fc.oneof(alert, nodeCommand);
  const container: fc.Arbitrary<Command> = fc.record(
    {
      kind: fc.constantFrom('Atomic', 'Sequence'),
      cmdId: id,
      commands: fc.array(innerCommand(depth - 1), { maxLength: 3 }),
    },
    record,
  );
  return fc.oneof(alert, nodeCommand, container);
}
const header: fc.Arbitrary<SyncHdr> = fc.record(
  {
    verDTD: fc.constant('1.2'),
    verProto: fc.constant('DM/1.2'),
    sessionId: id,
    msgId: id,
    target: fc.oneof(url, fc.stringMatching(/^[0-9A-F]{32}$/)),
    source: fc.oneof(url, fc.stringMatching(/^[0-9A-F]{32}$/)),
    maxMsgSize: fc.nat(),
  },
  {
    ...record,
    requiredKeys: ['verDTD', 'verProto', 'sessionId', 'msgId', 'target', 'source'],
  },
);
const message: fc.Arbitrary<SyncMLMessage> = fc.record(
  {
    header,
    commands: fc.array(fc.oneof(status, results, innerCommand(3)), { maxLength: 6 }),
    final: fc.boolean(),
  },
  record,
);

/** Calls `parseSyncML`, failing if it throws anything but a SyncMLError. */
function parsesOrRejects(xml: string): void {
  try {
    parseSyncML(xml);
  } catch (error) {
    if (!(error instanceof SyncMLError)) throw error;
  }
}

describe('properties', () => {
  it('parseSyncML(serializeSyncML(m)) equals m', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(parseSyncML(serializeSyncML(m))).toStrictEqual(m);
      }),
      { numRuns: RUNS },
    );
  });

  it('throws nothing but SyncMLError on arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({
            unit: fc.constantFrom(
              '<',
              '>',
              '/',
              '&',
              ';',
              '#',
              '"',
              '=',
              '!',
              '?',
              '[',
              ']',
              'a',
              ' ',
            ),
            maxLength: 200,
          }),
        ),
        parsesOrRejects,
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('throws nothing but SyncMLError on mutated and truncated messages', () => {
    const noise = fc.oneof(
      fc.constantFrom(
        '<',
        '>',
        '&',
        '/>',
        '</Item>',
        '<Item>',
        '<CmdID>',
        '<Final/>',
        '<![CDATA[',
        ']]>',
        '<!--',
        '<!DOCTYPE x [',
        '&#xD800;',
        '&lol;',
        'xmlns="x"',
        '<Copy/>',
        '<a:b>',
      ),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    const mutation = fc.oneof(
      fc.record({ at: fc.nat(), cut: fc.nat({ max: 40 }), insert: noise }),
      fc.record({
        at: fc.nat(),
        cut: fc.constant(Number.MAX_SAFE_INTEGER),
        insert: fc.constant(''),
      }),
    );
    fc.assert(
      fc.property(message, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, mutations) => {
        let xml = serializeSyncML(m);
        for (const { at, cut, insert } of mutations) {
          const position = at % (xml.length + 1);
          xml = xml.slice(0, position) + insert + xml.slice(position + cut);
        }
        parsesOrRejects(xml);
      }),
      { numRuns: RUNS * 2 },
    );
  });
});
