import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { EnrollDeviceProfile } from '../../src/core/enroll/device-profile.js';
import { buildDiscoverRequest } from '../../src/core/enroll/discovery.js';
import {
  buildRequestSecurityToken,
  contextItems,
} from '../../src/core/enroll/enrollment-request.js';
import { EnrollMessageError } from '../../src/core/enroll/errors.js';
import { buildGetPoliciesRequest } from '../../src/core/enroll/policy.js';

/**
 * An independent reading of the client's requests: fast-xml-parser's plain object form, prefixes
 * kept, so the test checks the exact qualified names and namespace declarations Windows writes
 * (MS-MDE2 §4 samples; "On-premises authentication device enrollment").
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  isArray: (name) => name === 'ac:ContextItem' || name === 'AuthPolicy',
});
type Node = Record<string, unknown>;
const read = (xml: string): Node => parser.parse(xml) as Node;
const at = (node: unknown, ...path: string[]): Node =>
  path.reduce<Node>((n, key) => {
    const next = n[key];
    if (next === undefined) throw new Error(`missing ${key} in ${Object.keys(n).join(',')}`);
    return next as Node;
  }, node as Node);
const text = (node: unknown): string => {
  if (typeof node === 'string') return node;
  const inner = (node as Node)['#text'];
  return typeof inner === 'string' ? inner : '';
};

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';
const WSA = 'http://www.w3.org/2005/08/addressing';

const profile: EnrollDeviceProfile = {
  devId: '1E08C6E95D8BB843B1278FF45BC60CC6',
  hwDevId: '3B3ED6D0EA88CBFCF37D36F90F22FE61172348C0162FC3840D6703149870CE76',
  deviceName: 'DESKTOP-28FGAI6',
  release: 'windows10',
  email: 'user@contoso.com',
  macs: ['00-0C-29-51-60-9D', '1A-77-20-52-41-53'],
};

function header(envelope: Node, action: string, to: string, id: string): void {
  const h = at(envelope, 's:Envelope', 's:Header');
  expect(text(at(h, 'a:Action'))).toBe(action);
  expect(at(h, 'a:Action')['@s:mustUnderstand']).toBe('1');
  expect(text(at(h, 'a:MessageID'))).toBe(`urn:uuid:${id}`);
  expect(text(at(h, 'a:ReplyTo', 'a:Address'))).toBe(
    'http://www.w3.org/2005/08/addressing/anonymous',
  );
  expect(text(at(h, 'a:To'))).toBe(to);
  expect(at(h, 'a:To')['@s:mustUnderstand']).toBe('1');
}

describe('Discover request (MS-MDE2 §3.1.4.1)', () => {
  const xml = buildDiscoverRequest({
    profile,
    messageId: '748132ec-a575-4329-b01b-6171a9cf8478',
    discoveryUrl: 'https://enterpriseenrollment.contoso.com/EnrollmentServer/Discovery.svc',
  });
  const doc = read(xml);

  it('is a SOAP 1.2 envelope with the WS-Addressing header of the Discover action', () => {
    const envelope = at(doc, 's:Envelope');
    expect(envelope['@xmlns:s']).toBe(SOAP);
    expect(envelope['@xmlns:a']).toBe(WSA);
    header(
      doc,
      'http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/Discover',
      'https://enterpriseenrollment.contoso.com/EnrollmentServer/Discovery.svc',
      '748132ec-a575-4329-b01b-6171a9cf8478',
    );
  });

  it('carries the request fields in the order Windows writes them', () => {
    const discover = at(doc, 's:Envelope', 's:Body', 'Discover');
    expect(discover['@xmlns']).toBe(
      'http://schemas.microsoft.com/windows/management/2012/01/enrollment',
    );
    const request = at(discover, 'request');
    expect(request['@xmlns:i']).toBe('http://www.w3.org/2001/XMLSchema-instance');
    expect(Object.keys(request).filter((k) => !k.startsWith('@'))).toEqual([
      'EmailAddress',
      'RequestVersion',
      'DeviceType',
      'ApplicationVersion',
      'OSEdition',
      'AuthPolicies',
    ]);
    expect(text(request.EmailAddress)).toBe('user@contoso.com');
    expect(text(request.RequestVersion)).toBe('4.0');
    expect(text(request.DeviceType)).toBe('CIMClient_Windows');
    expect(text(request.ApplicationVersion)).toMatch(/^10\.0\.19045\.\d+$/);
    expect(text(request.OSEdition)).toBe('48');
    expect((at(request, 'AuthPolicies').AuthPolicy as unknown[]).map(text)).toEqual([
      'OnPremise',
      'Federated',
    ]);
  });

  it('sends the release’s RequestVersion: Windows 11 25H2 says 9.0; a profile may override it', () => {
    const version = (p: EnrollDeviceProfile): string =>
      text(
        at(
          read(buildDiscoverRequest({ profile: p, messageId: 'x', discoveryUrl: 'https://d' })),
          's:Envelope',
          's:Body',
          'Discover',
          'request',
        ).RequestVersion,
      );
    expect(version({ ...profile, release: 'windows11' })).toBe('9.0');
    expect(version({ ...profile, release: 'windows11', requestVersion: '6.0' })).toBe('6.0');
  });
});

describe('GetPolicies request (MS-XCEP, MS-MDE2 §3.3)', () => {
  it('carries an OnPremise UsernameToken with a PasswordText password', () => {
    const password = 'p<a&s"s\'\r\n\tw>';
    const xml = buildGetPoliciesRequest({
      messageId: '72048B64-0F19-448F-8C2E-B4C661860AA0',
      policyUrl: 'https://enroll.contoso.com/EnrollmentServer/Policy.svc',
      credentials: { policy: 'OnPremise', user: 'user@contoso.com', password },
    });
    const doc = read(xml);
    header(
      doc,
      'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies',
      'https://enroll.contoso.com/EnrollmentServer/Policy.svc',
      '72048B64-0F19-448F-8C2E-B4C661860AA0',
    );
    const envelope = at(doc, 's:Envelope');
    expect(envelope['@xmlns:wsse']).toBe(
      'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
    );
    expect(envelope['@xmlns:u']).toBe(
      'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
    );
    const token = at(envelope, 's:Header', 'wsse:Security', 'wsse:UsernameToken');
    expect(at(envelope, 's:Header', 'wsse:Security')['@s:mustUnderstand']).toBe('1');
    expect(token['@u:Id']).toBe('uuid-cc1ccc1f-2fba-4bcf-b063-ffc0cac77917-4');
    expect(text(token['wsse:Username'])).toBe('user@contoso.com');
    const pw = at(token, 'wsse:Password');
    expect(pw['@wsse:Type']).toBe(
      'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText',
    );
    // fast-xml-parser leaves character references; decode them as any XML reader would.
    const decoded = text(pw)
      .replace(/&#13;/g, '\r')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
    expect(decoded).toBe(password);
    const body = at(envelope, 's:Body', 'GetPolicies');
    expect(body['@xmlns']).toBe(
      'http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy',
    );
    expect(at(body, 'client', 'lastUpdate')['@xsi:nil']).toBe('true');
    expect(at(body, 'client', 'preferredLanguage')['@xsi:nil']).toBe('true');
    expect(at(body, 'requestFilter')['@xsi:nil']).toBe('true');
  });

  it('carries a Federated BinarySecurityToken: base64 of the token, or the token verbatim', () => {
    const token = (encoding?: 'base64' | 'verbatim'): Node =>
      at(
        read(
          buildGetPoliciesRequest({
            messageId: 'm',
            policyUrl: 'https://p',
            credentials: {
              policy: 'Federated',
              token: 'opaque-token',
              ...(encoding && { encoding }),
            },
          }),
        ),
        's:Envelope',
        's:Header',
        'wsse:Security',
        'wsse:BinarySecurityToken',
      );
    const encoded = token();
    expect(encoded['@ValueType']).toBe(
      'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentUserToken',
    );
    expect(encoded['@EncodingType']).toBe(
      'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary',
    );
    expect(Buffer.from(text(encoded), 'base64').toString('utf8')).toBe('opaque-token');
    expect(text(token('verbatim'))).toBe('opaque-token');
  });
});

describe('RequestSecurityToken (MS-WSTEP, MS-MDE2 §3.4)', () => {
  const xml = buildRequestSecurityToken({
    profile,
    messageId: '0d5a1441-5891-453b-becf-a2e5f6ea3749',
    enrollUrl: 'https://enroll.contoso.com/EnrollmentServer/Enrollment.svc',
    credentials: { policy: 'OnPremise', user: 'u', password: 'p' },
    csrBase64: 'MIIBFAKE',
  });
  const doc = read(xml);

  it('has the RST/wstep action, the token and request types and the PKCS#10 token', () => {
    header(
      doc,
      'http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep',
      'https://enroll.contoso.com/EnrollmentServer/Enrollment.svc',
      '0d5a1441-5891-453b-becf-a2e5f6ea3749',
    );
    const rst = at(doc, 's:Envelope', 's:Body', 'wst:RequestSecurityToken');
    expect(at(doc, 's:Envelope')['@xmlns:wst']).toBe(
      'http://docs.oasis-open.org/ws-sx/ws-trust/200512',
    );
    expect(text(rst['wst:TokenType'])).toBe(
      'http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken',
    );
    expect(text(rst['wst:RequestType'])).toBe(
      'http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue',
    );
    const bst = at(rst, 'wsse:BinarySecurityToken');
    expect(bst['@ValueType']).toBe(
      'http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10',
    );
    expect(bst['@EncodingType']).toBe(
      'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary',
    );
    expect(text(bst)).toBe('MIIBFAKE');
    expect(at(doc, 's:Envelope', 's:Header', 'wsse:Security', 'wsse:UsernameToken')).toBeDefined();
  });

  it('lists the AdditionalContext items of a Windows 10 device, in its order', () => {
    const context = at(
      doc,
      's:Envelope',
      's:Body',
      'wst:RequestSecurityToken',
      'ac:AdditionalContext',
    );
    expect(context['@xmlns']).toBe('http://schemas.xmlsoap.org/ws/2006/12/authorization');
    const items = (context['ac:ContextItem'] as Node[]).map((item) => [
      item['@Name'],
      text(item['ac:Value']),
    ]);
    expect(items).toEqual([
      ['UXInitiated', 'false'],
      ['HWDevID', profile.hwDevId],
      ['Locale', 'en-US'],
      ['TargetedUserLoggedIn', 'true'],
      ['OSEdition', '48'],
      ['DeviceName', 'DESKTOP-28FGAI6'],
      ['MAC', '00-0C-29-51-60-9D'],
      ['MAC', '1A-77-20-52-41-53'],
      ['DeviceID', profile.devId],
      ['EnrollmentType', 'Full'],
      ['DeviceType', 'CIMClient_Windows'],
      ['OSVersion', expect.stringMatching(/^10\.0\.19045\.\d+$/)],
      ['ApplicationVersion', expect.stringMatching(/^10\.0\.19045\.\d+$/)],
      ['NotInOobe', 'false'],
    ]);
  });

  it('adds RequestVersion to the context on Windows 11', () => {
    const items = contextItems({ ...profile, release: 'windows11', enrollmentType: 'Device' });
    expect(items.at(-1)).toEqual(['RequestVersion', '9.0']);
    expect(items).toContainEqual(['EnrollmentType', 'Device']);
  });
});

describe('writing', () => {
  it('refuses a value XML 1.0 cannot carry, naming where it is', () => {
    expect(() =>
      buildDiscoverRequest({
        profile: { ...profile, email: 'a\u0000b' },
        messageId: 'm',
        discoveryUrl: 'https://d',
      }),
    ).toThrow(EnrollMessageError);
    expect(() =>
      buildDiscoverRequest({
        profile: { ...profile, email: 'a\u0000b' },
        messageId: 'm',
        discoveryUrl: 'https://d',
      }),
    ).toThrow('s:Envelope/s:Body/Discover/request/EmailAddress: U+0000 cannot be written');
  });

  it('any text round-trips through an independent XML reader (property)', () => {
    const xmlText = fc
      .string({
        unit: fc.oneof(
          fc.constantFrom('&', '<', '>', '"', "'", '\t', ' ', ']]>', 'é', '😀', '&amp;'),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
        ),
        maxLength: 20,
      })
      .filter((s) => !/[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s));
    const decoder = new XMLParser({
      processEntities: true,
      trimValues: false,
      parseTagValue: false,
    });
    fc.assert(
      fc.property(xmlText, (email) => {
        const xml = buildDiscoverRequest({
          profile: { ...profile, email },
          messageId: 'm',
          discoveryUrl: 'https://d',
        });
        const parsed = decoder.parse(xml) as Node;
        const got = at(parsed, 's:Envelope', 's:Body', 'Discover', 'request').EmailAddress;
        expect(got === '' || got === undefined ? '' : text(got)).toBe(email);
      }),
      { numRuns: 200 },
    );
  });
});
