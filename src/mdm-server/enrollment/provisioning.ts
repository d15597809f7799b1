/**
 * The `wap-provisioningdoc` the enrollment response carries (MS-MDE2 §3.4.4.2; Microsoft's
 * "On-premises authentication device enrollment" sample), as Fleet writes it
 * (fleetdm/fleet `server/service/microsoft_mdm.go`: `NewCertStoreProvisioningData`,
 * `NewApplicationProvisioningData`, `NewDMClientProvisioningData`):
 *
 * - `CertificateStore` ("CertificateStore CSP"): the CA under `Root/System/{thumbprint}`, the
 *   device certificate under `My/User/{thumbprint}` (`My/System` for a Device enrollment) with a
 *   `PrivateKeyContainer`, and `My/WSTEP/Renew`;
 * - the w7 `APPLICATION` ("w7 APPLICATION CSP"): the management address and two `APPAUTH`
 *   entries, `CLIENT` (the server's credential) and `APPSRV` (the device's: the name and fresh
 *   secret its sessions authenticate with, `DIGEST` = `syncml:auth-md5`);
 * - `DMClient/Provider/{ProviderID}` ("DMClient CSP"): `EntDMID` and the poll schedule.
 */
import type { ProvisioningDoc, WapCharacteristic, WapParm } from '../../core/enroll/wap-doc.js';
import { POLL_NODES, type PollSchedule } from '../server-defaults.js';

/** What goes into a device's provisioning document. */
export interface ProvisioningInput {
  /** w7 `PROVIDER-ID` and the DMClient provider node. */
  readonly providerId: string;
  /** w7 `NAME`. */
  readonly providerName: string;
  /** w7 `ADDR`: where management sessions post. */
  readonly managementUrl: string;
  readonly ca: { readonly thumbprint: string; readonly certificate: string };
  readonly device: { readonly thumbprint: string; readonly certificate: string };
  /** `Full` (user store) or `Device` (system store). */
  readonly enrollmentType: string;
  /** The device certificate's subject, for `SSLCLIENTCERTSEARCHCRITERIA` (`CN=…,OU=…`). */
  readonly certificateSubject: string;
  /** APPSRV `AAUTHNAME` and `AAUTHSECRET`. */
  readonly authName: string;
  readonly authSecret: string;
  /** CLIENT `AAUTHSECRET`: the server's own secret (it never authenticates with it). */
  readonly serverSecret: string;
  /** `AAUTHDATA`: an initial nonce, base64 (Fleet still challenges the first message). */
  readonly initialNonce: string;
  /** DMClient `EntDMID`: the device's id at the server (its DeviceID). */
  readonly entDmId: string;
  readonly poll: PollSchedule;
}

const parm = (name: string, value?: string, datatype?: string): WapParm => ({
  name,
  ...(value === undefined ? {} : { value }),
  ...(datatype === undefined ? {} : { datatype }),
});

const characteristic = (
  type: string,
  parms: readonly WapParm[] = [],
  children: readonly WapCharacteristic[] = [],
): WapCharacteristic => ({ type, parms, children });

const certificateEntry = (thumbprint: string, certificate: string): WapCharacteristic =>
  characteristic(thumbprint, [parm('EncodedCertificate', certificate)]);

/** The store a Device enrollment's certificate goes to is the system's; a user's otherwise. */
const storeOf = (enrollmentType: string): 'System' | 'User' =>
  enrollmentType === 'Device' ? 'System' : 'User';

function certificateStore(input: ProvisioningInput): WapCharacteristic {
  const root = characteristic(
    'Root',
    [],
    [characteristic('System', [], [certificateEntry(input.ca.thumbprint, input.ca.certificate)])],
  );
  const my = characteristic(
    'My',
    [],
    [
      characteristic(
        storeOf(input.enrollmentType),
        [],
        [
          certificateEntry(input.device.thumbprint, input.device.certificate),
          characteristic('PrivateKeyContainer'),
        ],
      ),
      characteristic(
        'WSTEP',
        [],
        [
          characteristic('Renew', [
            // Renewal (a WS-Trust Renew request) is not served: the client is told so.
            parm('ROBOSupport', 'false', 'boolean'),
            parm('RenewPeriod', '60', 'integer'),
            parm('RetryInterval', '4', 'integer'),
          ]),
        ],
      ),
    ],
  );
  return characteristic('CertificateStore', [], [root, my]);
}

/** `SSLCLIENTCERTSEARCHCRITERIA`: `Subject=…&Stores=My%5CUser`, each value URI-escaped. */
const searchCriteria = (subject: string, enrollmentType: string): string =>
  `Subject=${encodeURIComponent(subject)}&Stores=${encodeURIComponent(`My\\${storeOf(enrollmentType)}`)}`;

function application(input: ProvisioningInput): WapCharacteristic {
  return characteristic(
    'APPLICATION',
    [
      parm('APPID', 'w7'),
      parm('PROVIDER-ID', input.providerId),
      parm('NAME', input.providerName),
      parm('ADDR', input.managementUrl),
      // 32: the enterprise role ("w7 APPLICATION CSP", ROLE).
      parm('ROLE', '32'),
      parm('BACKCOMPATRETRYDISABLED'),
      parm('CONNRETRYFREQ', '6'),
      parm('INITIALBACKOFFTIME', '30000'),
      parm('MAXBACKOFFTIME', '120000'),
      parm('DEFAULTENCODING', 'application/vnd.syncml.dm+xml'),
      parm(
        'SSLCLIENTCERTSEARCHCRITERIA',
        searchCriteria(input.certificateSubject, input.enrollmentType),
      ),
    ],
    [
      characteristic('APPAUTH', [
        parm('AAUTHLEVEL', 'CLIENT'),
        parm('AAUTHTYPE', 'DIGEST'),
        parm('AAUTHSECRET', input.serverSecret),
        parm('AAUTHDATA', input.initialNonce),
      ]),
      characteristic('APPAUTH', [
        parm('AAUTHLEVEL', 'APPSRV'),
        parm('AAUTHTYPE', 'DIGEST'),
        parm('AAUTHNAME', input.authName),
        parm('AAUTHSECRET', input.authSecret),
        parm('AAUTHDATA', input.initialNonce),
      ]),
    ],
  );
}

function dmClient(input: ProvisioningInput): WapCharacteristic {
  const poll = POLL_NODES.flatMap(([set, intervalNode, countNode]) => [
    parm(intervalNode, String(input.poll[set].intervalMinutes), 'integer'),
    parm(countNode, String(input.poll[set].count), 'integer'),
  ]);
  const provider = characteristic(
    input.providerId,
    [parm('EntDMID', input.entDmId, 'string')],
    [
      characteristic('Poll', [
        ...poll,
        parm('PollOnLogin', 'true', 'boolean'),
        parm('AllUsersPollOnFirstLogin', 'true', 'boolean'),
      ]),
    ],
  );
  return characteristic('DMClient', [], [characteristic('Provider', [], [provider])]);
}

/** The provisioning document of one enrollment (version 1.1, as Fleet's and the sample's). */
export function provisioningDoc(input: ProvisioningInput): ProvisioningDoc {
  return {
    version: '1.1',
    characteristics: [certificateStore(input), application(input), dmClient(input)],
  };
}
