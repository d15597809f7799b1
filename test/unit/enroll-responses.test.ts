import { describe, expect, it } from 'vitest';
import { parseDiscoverResponse } from '../../src/core/enroll/discovery.js';
import {
  decodeProvisioningDoc,
  parseEnrollmentResponse,
} from '../../src/core/enroll/enrollment-response.js';
import { EnrollMessageError, ProvisioningDocError } from '../../src/core/enroll/errors.js';
import { parseGetPoliciesResponse } from '../../src/core/enroll/policy.js';
import { provisionedCertificates } from '../../src/core/enroll/provisioning-certs.js';
import { describeFault } from '../../src/core/enroll/soap-fault.js';
import { parseFault } from '../../src/core/enroll/soap.js';

/** "On-premises authentication device enrollment": the OnPremise DiscoverResponse sample. */
const DISCOVER_RESPONSE = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
   xmlns:a="http://www.w3.org/2005/08/addressing">
  <s:Header>
    <a:Action s:mustUnderstand="1">
      http://schemas.microsoft.com/windows/management/2012/01/enrollment/IDiscoveryService/DiscoverResponse
    </a:Action>
    <ActivityId>
      d9eb2fdd-e38a-46ee-bd93-aea9dc86a3b8
    </ActivityId>
    <a:RelatesTo>urn:uuid: 748132ec-a575-4329-b01b-6171a9cf8478</a:RelatesTo>
  </s:Header>
  <s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
     xmlns:xsd="http://www.w3.org/2001/XMLSchema">
    <DiscoverResponse
       xmlns="http://schemas.microsoft.com/windows/management/2012/01/enrollment">
      <DiscoverResult>
        <AuthPolicy>OnPremise</AuthPolicy>
        <EnrollmentVersion>3.0</EnrollmentVersion>
        <EnrollmentPolicyServiceUrl>
          https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC
        </EnrollmentPolicyServiceUrl>
        <EnrollmentServiceUrl>
          https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC
        </EnrollmentServiceUrl>
      </DiscoverResult>
    </DiscoverResponse>
  </s:Body>
</s:Envelope>`;

/** MS-MDE2 §2.2.10's fault sample, all lower case as the specification prints it. */
const SPEC_FAULT = `<s:envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"> <s:header> <a:action s:mustunderstand="1">http://schemas.microsoft.com/windows/pki/2009/01/enrollment/rstrc/wstep</a:action> <activityid correlationid="2493ee37-beeb-4cb9-833c-cadde9067645" xmlns="http://schemas.microsoft.com/2004/09/servicemodel/diagnostics">2493ee37-beeb-4cb9-833c-cadde9067645</activityid> <a:relatesto>urn:uuid:urn:uuid:0d5a1441-5891-453b-becf-a2e5f6ea3749</a:relatesto> </s:header> <s:body> <s:fault> <s:code> <s:value>s:receiver</s:value> <s:subcode> <s:value>s:authorization</s:value> </s:subcode> </s:code> <s:reason> <s:text xml:lang="en-us">This User is not authorized to enroll</s:text> </s:reason> </s:fault> </s:body> </s:envelope>`;

/** "On-premises authentication device enrollment": the GetPoliciesResponse sample (shortened). */
const POLICY_RESPONSE = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing">
 <s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPoliciesResponse</a:Action></s:Header>
 <s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <GetPoliciesResponse xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy">
   <response>
    <policyID />
    <policyFriendlyName xsi:nil="true"/>
    <policies>
     <policy>
      <policyOIDReference>0</policyOIDReference>
      <cAs xsi:nil="true" />
      <attributes>
       <commonName>CEPUnitTest</commonName>
       <policySchema>3</policySchema>
       <certificateValidity>
        <validityPeriodSeconds>1209600</validityPeriodSeconds>
        <renewalPeriodSeconds>172800</renewalPeriodSeconds>
       </certificateValidity>
       <privateKeyAttributes>
        <minimalKeyLength>2048</minimalKeyLength>
        <keySpec xsi:nil="true" />
        <cryptoProviders xsi:nil="true" />
       </privateKeyAttributes>
       <hashAlgorithmOIDReference>0</hashAlgorithmOIDReference>
      </attributes>
     </policy>
    </policies>
   </response>
   <cAs xsi:nil="true" />
   <oIDs>
    <oID><value>1.3.14.3.2.29</value><group>1</group><oIDReferenceID>0</oIDReferenceID><defaultName>szOID_OIWSEC_sha1RSASign</defaultName></oID>
   </oIDs>
  </GetPoliciesResponse>
 </s:Body>
</s:Envelope>`;

describe('DiscoverResponse', () => {
  it('reads the sample: policy, version and URLs trimmed', () => {
    const reply = parseDiscoverResponse(DISCOVER_RESPONSE);
    expect(reply).toEqual({
      kind: 'ok',
      relatesTo: 'urn:uuid: 748132ec-a575-4329-b01b-6171a9cf8478',
      value: {
        authPolicy: 'OnPremise',
        enrollmentVersion: '3.0',
        enrollmentPolicyServiceUrl:
          'https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC',
        enrollmentServiceUrl:
          'https://enrolltest.contoso.com/ENROLLMENTSERVER/DEVICEENROLLMENTWEBSERVICE.SVC',
      },
    });
  });

  it('reads a Federated result with its AuthenticationServiceUrl, and a nil policy URL as absent', () => {
    const xml = DISCOVER_RESPONSE.replace('<AuthPolicy>OnPremise', '<AuthPolicy>Federated')
      .replace(
        /<EnrollmentPolicyServiceUrl>[^<]*<\/EnrollmentPolicyServiceUrl>/,
        '<EnrollmentPolicyServiceUrl xsi:nil="true"/>',
      )
      .replace(
        '</DiscoverResult>',
        '<AuthenticationServiceUrl>https://portal.contoso.com/LoginRedirect.aspx</AuthenticationServiceUrl></DiscoverResult>',
      );
    const reply = parseDiscoverResponse(xml);
    expect(reply.kind === 'ok' && reply.value).toMatchObject({
      authPolicy: 'Federated',
      authenticationServiceUrl: 'https://portal.contoso.com/LoginRedirect.aspx',
    });
    expect(reply.kind === 'ok' && 'enrollmentPolicyServiceUrl' in reply.value).toBe(false);
  });

  it.each([
    [
      DISCOVER_RESPONSE.replace('<AuthPolicy>OnPremise', '<AuthPolicy>Kerberos'),
      'Envelope/Body/DiscoverResponse/DiscoverResult/AuthPolicy: expected OnPremise, Federated, Certificate, got "Kerberos"',
    ],
    [
      DISCOVER_RESPONSE.replace(/<EnrollmentServiceUrl>[^<]*<\/EnrollmentServiceUrl>/, ''),
      'Envelope/Body/DiscoverResponse/DiscoverResult: missing EnrollmentServiceUrl',
    ],
    [
      DISCOVER_RESPONSE.replace(/DiscoverResponse/g, 'Other'),
      'Envelope/Body: expected DiscoverResponse, got Other',
    ],
    ['<html><body>hello</body></html>', 'expected a SOAP Envelope, got html'],
    ['not xml', 'malformed XML'],
    [
      '<!DOCTYPE s:Envelope [<!ENTITY x "y">]><s:Envelope xmlns:s="x"><s:Body/></s:Envelope>',
      'DOCTYPE',
    ],
  ])('refuses a reply that is not one, naming where (%#)', (xml, message) => {
    expect(() => parseDiscoverResponse(xml)).toThrow(EnrollMessageError);
    expect(() => parseDiscoverResponse(xml)).toThrow(message);
  });

  it('refuses a reply over the size limit', () => {
    expect(() => parseDiscoverResponse(DISCOVER_RESPONSE, { maxBytes: 200 })).toThrow(
      /maxBytes limit of 200/,
    );
  });
});

describe('SOAP faults (MS-MDE2 §2.2.10)', () => {
  it('reads the specification’s lower-case sample', () => {
    const reply = parseDiscoverResponse(SPEC_FAULT);
    expect(reply).toMatchObject({
      kind: 'fault',
      fault: {
        code: 's:receiver',
        subcode: 's:authorization',
        reason: 'This User is not authorized to enroll',
      },
    });
  });

  it('reads a SOAP 1.2 fault in the usual case, and a SOAP 1.1 one', () => {
    const soap12 = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>a:InvalidSecurity</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">bad header</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>`;
    expect(parseFault(soap12)).toEqual({
      code: 's:Receiver',
      subcode: 'a:InvalidSecurity',
      reason: 'bad header',
    });
    const soap11 = `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Server</faultcode><faultstring>boom</faultstring></s:Fault></s:Body></s:Envelope>`;
    expect(parseFault(soap11)).toEqual({ code: 's:Server', reason: 'boom' });
    expect(parseFault(DISCOVER_RESPONSE)).toBeUndefined();
  });

  it('describes a fault with the error Windows reports for its subcode', () => {
    expect(
      describeFault({ code: 's:receiver', subcode: 's:authentication', reason: 'no such user' }),
    ).toBe(
      's:receiver/s:authentication (MENROLL_E_DEVICE_AUTHENTICATION_ERROR 0x80180002): no such user',
    );
    expect(describeFault({ code: 's:Sender', reason: '' })).toBe('s:Sender');
  });
});

describe('GetPoliciesResponse', () => {
  it('reads key length, hash (by its oID reference), validity; nil providers are none', () => {
    const reply = parseGetPoliciesResponse(POLICY_RESPONSE);
    expect(reply).toEqual({
      kind: 'ok',
      value: {
        policiesPresent: true,
        commonName: 'CEPUnitTest',
        minimalKeyLength: 2048,
        hashAlgorithm: { oid: '1.3.14.3.2.29', name: 'SHA-1' },
        validityPeriodSeconds: 1209600,
        renewalPeriodSeconds: 172800,
        cryptoProviders: [],
      },
    });
  });

  it('reads Fleet’s form: providers directly under privateKeyAttributes, SHA-256 named', () => {
    const fleet = POLICY_RESPONSE.replace(
      '<cryptoProviders xsi:nil="true" />',
      '<provider>Microsoft Platform Crypto Provider</provider><provider>Microsoft Software Key Storage Provider</provider>',
    ).replace(
      '<value>1.3.14.3.2.29</value><group>1</group>',
      '<value>2.16.840.1.101.3.4.2.1</value><group>4</group>',
    );
    const reply = parseGetPoliciesResponse(fleet);
    expect(reply.kind === 'ok' && reply.value).toMatchObject({
      hashAlgorithm: { oid: '2.16.840.1.101.3.4.2.1', name: 'SHA-256' },
      cryptoProviders: [
        'Microsoft Platform Crypto Provider',
        'Microsoft Software Key Storage Provider',
      ],
    });
  });

  it('a nil hash reference or nil policies name nothing', () => {
    const nilHash = POLICY_RESPONSE.replace(
      '<hashAlgorithmOIDReference>0</hashAlgorithmOIDReference>',
      '<hashAlgorithmOIDReference xsi:nil="true"/>',
    );
    const reply = parseGetPoliciesResponse(nilHash);
    expect(reply.kind === 'ok' && reply.value.hashAlgorithm).toBeUndefined();
    const none = POLICY_RESPONSE.replace(
      /<policies>[\s\S]*<\/policies>/,
      '<policies xsi:nil="true"/>',
    );
    const empty = parseGetPoliciesResponse(none);
    expect(empty).toEqual({ kind: 'ok', value: { policiesPresent: false, cryptoProviders: [] } });
  });

  it.each([
    [
      POLICY_RESPONSE.replace('<minimalKeyLength>2048', '<minimalKeyLength>big'),
      'privateKeyAttributes/minimalKeyLength: expected a whole number, got "big"',
    ],
    [
      POLICY_RESPONSE.replace('<oIDReferenceID>0<', '<oIDReferenceID>7<'),
      'attributes/hashAlgorithmOIDReference: references oID "0", which oIDs does not define',
    ],
  ])('refuses what it cannot use (%#)', (xml, message) => {
    expect(() => parseGetPoliciesResponse(xml)).toThrow(message);
  });
});

const PROVISIONING = `<?xml version="1.0" encoding="UTF-8"?><wap-provisioningdoc version="1.1"><characteristic type="CertificateStore"><characteristic type="Root"><characteristic type="System"><characteristic type="AB12"><parm name="EncodedCertificate" value="Um9vdA=="/></characteristic></characteristic></characteristic><characteristic type="My"><characteristic type="User"><characteristic type="CD34"><parm name="EncodedCertificate" value="TXk="/></characteristic><characteristic type="PrivateKeyContainer"/></characteristic><characteristic type="WSTEP"><characteristic type="Renew"><parm name="ROBOSupport" value="true" datatype="boolean"/></characteristic></characteristic></characteristic></characteristic><characteristic type="APPLICATION"><parm name="APPID" value="w7"/></characteristic></wap-provisioningdoc>`;

function rstrc(token: string): string {
  return `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing">
 <s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep</a:Action><a:RelatesTo>urn:uuid:81a5419a-496b-474f-a627-5cdd33eed8ab</a:RelatesTo></s:Header>
 <s:Body><RequestSecurityTokenResponseCollection xmlns="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><RequestSecurityTokenResponse>
  <TokenType>http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentToken</TokenType>
  <DispositionMessage xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment"/>
  <RequestedSecurityToken><BinarySecurityToken ValueType="http://schemas.microsoft.com/5.0.0.0/ConfigurationManager/Enrollment/DeviceEnrollmentProvisionDoc" EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd#base64binary" xmlns="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
   ${token}
  </BinarySecurityToken></RequestedSecurityToken>
  <RequestID xmlns="http://schemas.microsoft.com/windows/pki/2009/01/enrollment">0</RequestID>
 </RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection></s:Body></s:Envelope>`;
}

describe('RequestSecurityTokenResponseCollection and the provisioning document', () => {
  it('reads the token (SOAP 1.1 namespace, as Microsoft’s sample) and decodes the document', () => {
    const base64 = Buffer.from(`\uFEFF${PROVISIONING}`, 'utf8').toString('base64');
    const wrapped = base64.replace(/(.{64})/g, '$1\n');
    const reply = parseEnrollmentResponse(rstrc(wrapped));
    if (reply.kind !== 'ok') throw new Error('expected a token');
    expect(reply.value.requestId).toBe('0');
    expect(reply.value.valueType).toMatch(/DeviceEnrollmentProvisionDoc$/);
    const { xml, doc } = decodeProvisioningDoc(reply.value.provisioningBase64);
    expect(xml.startsWith('<?xml')).toBe(true);
    expect(doc.characteristics.map((c) => c.type)).toEqual(['CertificateStore', 'APPLICATION']);
    expect(provisionedCertificates(doc)).toEqual([
      { store: 'Root', location: 'System', thumbprint: 'AB12', encodedCertificate: 'Um9vdA==' },
      { store: 'My', location: 'User', thumbprint: 'CD34', encodedCertificate: 'TXk=' },
    ]);
  });

  it('an empty token is a malformed reply; a bad document is a provisioning error', () => {
    expect(() => parseEnrollmentResponse(rstrc(''))).toThrow(
      'RequestedSecurityToken/BinarySecurityToken: expected the provisioning document, got nothing',
    );
    expect(() => decodeProvisioningDoc('not base64!')).toThrow(ProvisioningDocError);
    expect(() => decodeProvisioningDoc(Buffer.from([0xff, 0xfe, 0x00]).toString('base64'))).toThrow(
      'not UTF-8',
    );
    expect(() => decodeProvisioningDoc(Buffer.from('<x/>').toString('base64'))).toThrow(
      'expected a wap-provisioningdoc root element',
    );
  });
});
